/**
 * Readiness question 3 on a real QBFT network (the local devnet, whose node processes this machine runs): the time
 * from a validator fault to the next settlement receipt, through the banks' participants, against the recovery
 * time the bank states (`--rto`). Two faults, `samples` times each:
 *
 * - one validator killed (SIGKILL) while a settlement is in flight: three of four are still a quorum, so the
 *   settlement must continue; timed from the kill to its receipt; the validator is restarted before the next sample;
 * - two of four stopped (production halts: no quorum), a settlement submitted during the halt, then one restarted:
 *   timed from the restart to the settlement's receipt; the other is restarted before the next sample.
 *
 * Every settlement acknowledged before or during a fault (a receipt returned, or accepted by the node during the
 * halt) is looked up on chain at the end: the recovery point, as counts. The devnet is left with every validator
 * running. The node the network's provider talks to (node 0) is never stopped.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DevnetError,
  liveNodes,
  requireDevnetState,
  rpcCall,
  startDevnet,
  stopDevnet,
  type DevnetState,
  type NodeState,
} from "../devnet";
import { settlementIdOf, statusName, type SettlementTerms } from "../settlement";
import type { DemoRun } from "./scenes";
import { percentile, probeTerms } from "./readiness-recovery";

/** One fault's samples, answered against the obligation. */
export interface ValidatorFaultEvidence {
  fault: string;
  /** What each sample timed. */
  timed: string;
  samplesMs: number[];
  p50Ms: number;
  maxMs: number;
  /** Only for the halt: whether the head stood still with two validators down (a sample without a halt is a NO). */
  halted: boolean[] | null;
  /** Samples whose settlement got no receipt within the participant's receipt timeout (each one is a NO). */
  failures: string[];
  answer: "YES" | "NO";
}

export interface NetworkRecoveryEvidence {
  validators: number;
  killed: ValidatorFaultEvidence;
  halt: ValidatorFaultEvidence;
  /** Settlements acknowledged before or during the faults, and how many of them the chain holds afterwards. */
  recoveryPoint: { acknowledged: number; onChain: number; lost: string[] };
  /** Every validator running again at the end. */
  restored: boolean;
}

export interface NetworkRecoveryOptions {
  devnetDir: string;
  samples: number;
  rtoMs: number;
  /** Progress lines while the faults run. */
  onProgress: (message: string) => void;
}

const round = (ms: number): number => Math.round(ms);

/** Awaits the settlement of a sample; a failure (no receipt in time) is recorded, not thrown. */
async function receipt(settled: Promise<unknown>, failures: string[], label: string): Promise<void> {
  try {
    await settled;
  } catch (error) {
    failures.push(`${label}: ${(error as Error).message.split("\n")[0]}`);
  }
}
const p50 = (values: readonly number[]): number => percentile(values, 50);

async function head(node: NodeState, timeoutMs: number): Promise<number> {
  return Number(await rpcCall<string>(node.rpcUrl, "eth_blockNumber", [], timeoutMs));
}

/** Waits (not measured) until `node` sees a new block: after long halts QBFT's round timers can delay agreement. */
async function producing(node: NodeState, timeoutMs: number, rpcMs: number): Promise<void> {
  const from = await head(node, rpcMs);
  const deadline = Date.now() + timeoutMs;
  while ((await head(node, rpcMs).catch(() => from)) <= from) {
    if (Date.now() > deadline) {
      throw new DevnetError("DEVNET_START_FAILED", `no new block within ${timeoutMs} ms after the restarts`, {
        node: node.name,
        head: from,
      });
    }
    await sleep(250);
  }
}

/** SIGKILL to the node's process group (no clean shutdown); false when it was not running. */
function kill(dir: string, state: DevnetState, node: NodeState): boolean {
  if (!liveNodes(dir, state).some((n) => n.index === node.index) || node.pid === null) return false;
  try {
    process.kill(-node.pid, "SIGKILL");
  } catch {
    process.kill(node.pid, "SIGKILL");
  }
  return true;
}

/** Waits until the killed node's process is gone, up to the spec's stop timeout. */
async function gone(dir: string, index: number): Promise<void> {
  const state = requireDevnetState(dir);
  const deadline = Date.now() + state.spec.stopTimeoutSeconds * 1000;
  while (liveNodes(dir, requireDevnetState(dir)).some((n) => n.index === index)) {
    if (Date.now() > deadline) {
      throw new DevnetError("DEVNET_STOP_FAILED", `node ${index} still runs after SIGKILL`, { node: index });
    }
    await sleep(50);
  }
}

/** Starts every validator that does not run. */
async function restoreAll(dir: string): Promise<boolean> {
  const state = requireDevnetState(dir);
  const running = new Set(liveNodes(dir, state).map((n) => n.index));
  for (const node of state.nodes) if (!running.has(node.index)) await startDevnet(dir, { node: node.index });
  const after = requireDevnetState(dir);
  return liveNodes(dir, after).length === after.nodes.length;
}

/** Measures both validator faults on the devnet (see the module comment). */
export async function measureValidatorFaults(
  run: DemoRun,
  options: NetworkRecoveryOptions,
): Promise<NetworkRecoveryEvidence> {
  const [alpha, beta] = run.banks;
  const dir = options.devnetDir;
  const state = requireDevnetState(dir);
  if (state.nodes.length < 4) {
    throw new DevnetError(
      "DEVNET_SPEC_INVALID",
      `the validator faults need four validators or more; the devnet has ${state.nodes.length}`,
      { validators: state.nodes.length },
    );
  }
  const rpcMs = state.spec.rpcTimeoutSeconds * 1000;
  const first = state.nodes[0];
  const acknowledged: SettlementTerms[] = [];
  let n = 0;
  const prepared = async (): Promise<SettlementTerms> => {
    const terms = probeTerms(run, `NET-READY-${++n}`, beta, alpha);
    await beta.participant.instruct(terms);
    await alpha.participant.affirm(terms);
    return terms;
  };
  const say = options.onProgress;

  try {
    if (!(await restoreAll(dir))) {
      throw new DevnetError("DEVNET_START_FAILED", "not every validator of the devnet could be started", { dir });
    }
    // One validator killed while a settlement is in flight.
    const killedMs: number[] = [];
    const killedFailures: string[] = [];
    for (let i = 0; i < options.samples; i++) {
      const victim = state.nodes[1 + (i % (state.nodes.length - 1))];
      const terms = await prepared();
      const settled = beta.participant.settle(terms);
      settled.catch(() => undefined); // awaited below; this only keeps a failure from going unhandled meanwhile
      const current = requireDevnetState(dir);
      const node = current.nodes[victim.index];
      const t0 = performance.now();
      kill(dir, current, node);
      await receipt(settled, killedFailures, `sample ${i + 1} (${node.name} killed)`);
      killedMs.push(round(performance.now() - t0));
      acknowledged.push(terms);
      say(`${node.name} killed (SIGKILL): settlement receipt ${killedMs.at(-1)} ms after the kill`);
      await gone(dir, node.index);
      await startDevnet(dir, { node: node.index });
    }

    // Two of four stopped: no quorum; one restarted.
    const haltMs: number[] = [];
    const haltFailures: string[] = [];
    const halted: boolean[] = [];
    const quietMs = (state.spec.requestTimeoutSeconds + state.spec.blockPeriodSeconds) * 1000;
    for (let i = 0; i < options.samples; i++) {
      const [a, b] = [state.nodes[2], state.nodes[3]];
      const terms = await prepared();
      await stopDevnet(dir, { node: a.index });
      await stopDevnet(dir, { node: b.index });
      // A block already proposed may still be committed; after a round timeout none can be.
      await sleep(quietMs);
      const stoodAt = await head(first, rpcMs);
      const settled = beta.participant.settle(terms);
      settled.catch(() => undefined); // awaited below, after the restart
      await sleep(quietMs);
      halted.push((await head(first, rpcMs)) === stoodAt);
      say(`${a.name} and ${b.name} stopped: head ${halted.at(-1) ? `stood at ${stoodAt}` : "moved (no halt)"}`);
      const t0 = performance.now();
      await startDevnet(dir, { node: a.index });
      await receipt(settled, haltFailures, `sample ${i + 1} (${a.name} restarted)`);
      haltMs.push(round(performance.now() - t0));
      acknowledged.push(terms);
      say(`${a.name} restarted: settlement receipt ${haltMs.at(-1)} ms after the restart began`);
      await startDevnet(dir, { node: b.index });
      await producing(first, state.spec.startTimeoutSeconds * 1000 * 3, rpcMs);
    }

    const engine = await run.hre.ethers.getContractAt("SettlementEngine", run.record.engine);
    const lost: string[] = [];
    for (const terms of acknowledged) {
      const status = statusName(await engine.statusOf(settlementIdOf(terms)));
      if (status !== "Settled" && status !== "Final") lost.push(`${terms.tradeRef}: ${status}`);
    }
    const answer = (samples: number[], failures: string[], ok = true): "YES" | "NO" =>
      ok && failures.length === 0 && Math.max(...samples) <= options.rtoMs ? "YES" : "NO";
    return {
      validators: state.nodes.length,
      killed: {
        fault: "one validator killed (SIGKILL) while a settlement is in flight",
        timed: "from the kill to the settlement's receipt",
        samplesMs: killedMs,
        p50Ms: p50(killedMs),
        maxMs: Math.max(...killedMs),
        halted: null,
        failures: killedFailures,
        answer: answer(killedMs, killedFailures),
      },
      halt: {
        fault: "two of four validators stopped (no quorum: production halts), then one restarted",
        timed: "from the restart to the receipt of a settlement submitted during the halt",
        samplesMs: haltMs,
        p50Ms: p50(haltMs),
        maxMs: Math.max(...haltMs),
        halted,
        failures: haltFailures,
        answer: answer(
          haltMs,
          haltFailures,
          halted.every((h) => h),
        ),
      },
      recoveryPoint: { acknowledged: acknowledged.length, onChain: acknowledged.length - lost.length, lost },
      restored: await restoreAll(dir),
    };
  } catch (error) {
    await restoreAll(dir).catch(() => false);
    throw error;
  }
}
