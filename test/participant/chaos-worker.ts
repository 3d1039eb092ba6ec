/**
 * A bank's participant in a process of its own, for the crash test (chaos.test.ts): opens the participant from its
 * configuration against a JSON-RPC node (start-up recovery runs), then instructs settlement `from`, `from + 1`, ...
 * up to `to - 1`, each a DvP in which this bank buys `assetAmount` bonds for `cashAmount` from the seller, and
 * prints one line per settlement the participant acknowledged (`ack <index> <settlement id> <tx hash> <nonce> <retried>`).
 * Lines: `ready` once open, then the acks, then `done <pending submissions>`. The test kills it at random points.
 *
 *   node -r test/support/ts-cache.js chaos-worker.ts '<job JSON>'
 *
 * Does nothing when merely loaded (Hardhat's runner loads every file under test/).
 */
import { id, JsonRpcProvider } from "ethers";
import { readFileSync } from "node:fs";
import { Participant, type ParticipantConfigInput } from "../../src/participant";
import type { SettlementTerms } from "../../src/settlement";

/** What the test asks the worker to do. */
export interface ChaosJob {
  configPath: string;
  rpcUrl: string;
  chainId: number;
  /** Milliseconds to add to the system clock: the chain's time (the engine decides in business hours). */
  clockOffsetMs: number;
  from: number;
  to: number;
  seller: string;
  buyer: string;
  asset: string;
  cash: string;
}

/** The terms of settlement number `index` of a run. */
export function chaosTerms(job: Pick<ChaosJob, "seller" | "buyer" | "asset" | "cash">, index: number): SettlementTerms {
  return {
    tradeRef: id(`chaos-${index}`),
    kind: 0,
    seller: job.seller,
    buyer: job.buyer,
    asset: job.asset,
    assetAmount: 1n,
    cash: job.cash,
    cashAmount: 1_00n + BigInt(index),
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as ChaosJob;
  const provider = new JsonRpcProvider(job.rpcUrl, job.chainId, { staticNetwork: true, pollingInterval: 50 });
  const config = JSON.parse(readFileSync(job.configPath, "utf8")) as ParticipantConfigInput;
  const now = () => Math.floor((Date.now() + job.clockOffsetMs) / 1000);
  const participant = await Participant.open(config, { provider, now });
  process.stdout.write("ready\n");
  try {
    for (let i = job.from; i < job.to; i++) {
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
