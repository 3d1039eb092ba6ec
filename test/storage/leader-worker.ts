/**
 * One process of a bank for the standby test (leader.test.ts): waits for the bank's leader lock and then acts
 * until it loses it. Lines on stdout: `standby` once it waits behind another process, `active <epoch ms>` when
 * it holds the lock, `lost <code>` when it stops acting. The URL comes from the variable the job names.
 *
 *   node -r test/support/ts-cache.js leader-worker.ts '<job JSON>'
 *
 * Does nothing when merely loaded (Hardhat's runner loads every file under test/).
 */
import { LeaderLock } from "../../src/storage";

export interface LeaderJob {
  bank: string;
  urlEnv: string;
  pollIntervalMs: number;
  heartbeatMs: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as LeaderJob;
  const lock = await LeaderLock.acquire(
    {
      bank: job.bank,
      postgres: { url: { env: job.urlEnv } },
      pollIntervalMs: job.pollIntervalMs,
      heartbeatMs: job.heartbeatMs,
    },
    { onStandby: () => process.stdout.write("standby\n") },
  );
  process.stdout.write(`active ${Date.now()}\n`);
  const reason = await lock.lost;
  process.stdout.write(`lost ${reason.code}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).message ?? error)}\n`);
    process.exitCode = 1;
  });
}
