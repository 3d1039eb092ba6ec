/**
 * A separate OS process appending to an audit log, for the cross-process concurrency tests:
 * `node -r ts-node/register/transpile-only append-worker.ts '<config JSON>' <count> <tag>`; does nothing when
 * merely loaded (Hardhat's runner loads every file under test/).
 * Prints nothing; exits non-zero (with the error on stderr) if any append fails.
 */
import { openAuditStore, type AuditStoreConfigInput } from "../../src/audit";

async function main(): Promise<void> {
  const [configJson, countText, tag] = process.argv.slice(2);
  const store = await openAuditStore(JSON.parse(configJson) as AuditStoreConfigInput);
  try {
    const count = Number(countText);
    await Promise.all(
      Array.from({ length: count }, (_, i) => store.append({ kind: "signature", subject: tag, payload: { i, tag } })),
    );
  } finally {
    await store.close();
  }
}

// Hardhat's test runner loads every file under test/; only run when started as a process.
if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}
