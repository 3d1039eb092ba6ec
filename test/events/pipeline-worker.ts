/**
 * A bank's follower and webhook dispatcher in a process of their own, for the crash test (pipeline-crash.test.ts):
 * opens the event store and an audit log (SQLite files), follows the chain over JSON-RPC and dispatches webhooks
 * (secrets from this process's environment), prints `ready`, and runs until it is killed.
 *
 *   node -r test/support/ts-cache.js pipeline-worker.ts '<job JSON>'
 *
 * Does nothing when merely loaded (Hardhat's runner loads every file under test/).
 */
import { JsonRpcProvider } from "ethers";
import { openAuditStore } from "../../src/audit";
import {
  ChainFollower,
  EventStore,
  WebhookDispatcher,
  type BankIdentity,
  type FollowedContracts,
  type WebhookConfigInput,
} from "../../src/events";

export interface PipelineJob {
  rpcUrl: string;
  chainId: number;
  eventsPath: string;
  auditPath: string;
  contracts: FollowedContracts;
  bank: BankIdentity;
  fromBlock: number;
  webhook: WebhookConfigInput;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as PipelineJob;
  const provider = new JsonRpcProvider(job.rpcUrl, job.chainId, { staticNetwork: true, pollingInterval: 50 });
  const store = await EventStore.open({ path: job.eventsPath });
  const audit = await openAuditStore({ path: job.auditPath });
  const report = (error: unknown) => process.stderr.write(`${String(error)}\n`);
  const follower = new ChainFollower({
    provider,
    store,
    audit,
    contracts: job.contracts,
    bank: job.bank,
    config: { confirmations: 0, pollIntervalMs: 50, fromBlock: job.fromBlock },
    onError: report,
  });
  const dispatcher = new WebhookDispatcher(store, { config: job.webhook, onError: report });
  follower.start();
  dispatcher.start();
  process.stdout.write("ready\n");
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}
