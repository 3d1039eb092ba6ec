/**
 * A webhook dispatcher in a process of its own, for the crash test (dispatch-crash.test.ts): opens the event store
 * at the given SQLite file, starts dispatching with the given configuration (secrets from this process's
 * environment), prints `ready`, and runs until it is killed.
 *
 *   node -r test/support/ts-cache.js dispatch-worker.ts '<job JSON>'
 *
 * Does nothing when merely loaded (Hardhat's runner loads every file under test/).
 */
import { EventStore, WebhookDispatcher, type WebhookConfigInput } from "../../src/events";

export interface DispatchJob {
  path: string;
  config: WebhookConfigInput;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as DispatchJob;
  const store = await EventStore.open({ path: job.path });
  const dispatcher = new WebhookDispatcher(store, {
    config: job.config,
    onError: (error) => process.stderr.write(`${String(error)}\n`),
  });
  dispatcher.start();
  process.stdout.write("ready\n");
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
}
