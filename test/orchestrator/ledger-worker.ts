/**
 * The crash worker of ledger.test.ts: opens a gate over the signing ledger (setup as JSON in argv[2]), makes the
 * ledger's commit kill the process (SIGKILL) the moment it is reached, and signs one settlement instruct. Prints
 * `hsm-signed` when the HSM has produced the signature (before the commit), and `released <raw>` if the gate ever
 * released it (it must not: the process dies at the commit).
 *
 *   node -r test/support/ts-cache.js ledger-worker.ts '<setup JSON>'
 *
 * Does nothing when merely loaded (Hardhat's runner loads every file under test/).
 */
import { openLedgerGate, instructCall, type LedgerGateSetup } from "./ledger-fixture";

async function main(): Promise<void> {
  const setup = JSON.parse(process.argv[2]) as LedgerGateSetup;
  const { ledger, hsm, gate } = await openLedgerGate(setup);
  const sign = hsm.signTransaction.bind(hsm);
  hsm.signTransaction = async (tx) => {
    const raw = await sign(tx);
    process.stdout.write("hsm-signed\n");
    return raw;
  };
  ledger.commit = () => {
    process.kill(process.pid, "SIGKILL");
    return new Promise<void>(() => undefined);
  };
  const raw = await gate.signTransaction(instructCall("crash"));
  process.stdout.write(`released ${raw}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).message ?? error)}\n`);
    process.exitCode = 1;
  });
}
