/**
 * One process of a bank for the fail-over test (standby.test.ts): opens the participant from a configuration with
 * `standby` (it waits for the bank's leader lock, then recovers and signs on the signing ledger in PostgreSQL), reads
 * `from <index>` on stdin, and instructs settlements `from` .. `to - 1` as the crash test's worker does.
 * Lines: `standby` while another process is active, `active <epoch ms>` once open, `signed <epoch ms>` at its first
 * durable signature, `ack <index> <settlement id> <tx hash> <nonce> <retried>` per acknowledged settlement, and
 * `done <pending submissions>`.
 *
 *   node -r test/support/ts-cache.js standby-worker.ts '<job JSON>'
 *
 * Does nothing when merely loaded (Hardhat's runner loads every file under test/).
 */
import { JsonRpcProvider } from "ethers";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Participant, type ParticipantConfigInput } from "../../src/participant";
import { chaosTerms, type ChaosJob } from "./chaos-worker";

/** What the test asks the worker to do: a chaos job whose first index comes on stdin. */
export type StandbyJob = Omit<ChaosJob, "from">;

/** Resolves with the first index the test names on stdin (`from <index>`). */
function firstIndex(): Promise<number> {
  const lines = createInterface({ input: process.stdin });
  return new Promise((resolve, reject) => {
    lines.once("line", (line) => {
      lines.close();
      process.stdin.destroy();
      const match = /^from (\d+)$/.exec(line);
      if (match === null) reject(new Error(`expected "from <index>", got ${line}`));
      else resolve(Number(match[1]));
    });
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as StandbyJob;
  const from = firstIndex();
  const provider = new JsonRpcProvider(job.rpcUrl, job.chainId, { staticNetwork: true, pollingInterval: 50 });
  const config = JSON.parse(readFileSync(job.configPath, "utf8")) as ParticipantConfigInput;
  const now = () => Math.floor((Date.now() + job.clockOffsetMs) / 1000);
  const participant = await Participant.open(config, {
    provider,
    now,
    onStandby: () => process.stdout.write("standby\n"),
  });
  process.stdout.write(`active ${Date.now()}\n`);
  const stop = participant.audit.observeCommits?.((records) => {
    if (!records.some((r) => r.kind === "signature")) return;
    process.stdout.write(`signed ${Date.now()}\n`);
    stop?.();
  });
  try {
    for (let i = await from; i < job.to; i++) {
      const done = await participant.instruct(chaosTerms(job, i));
      process.stdout.write(`ack ${i} ${done.settlementId} ${done.txHash} ${done.nonce} ${done.retried}\n`);
    }
    process.stdout.write(`done ${(await participant.pendingSubmissions()).length}\n`);
  } finally {
    await participant.close();
    provider.destroy();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const { code, message } = error as { code?: unknown; message?: unknown };
    process.stderr.write(`${typeof code === "string" ? code : "error"}: ${String(message ?? error)}\n`);
    process.exitCode = 1;
  });
}
