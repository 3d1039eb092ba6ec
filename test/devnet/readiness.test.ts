/**
 * Readiness question 3 on a real QBFT client: runs whenever one is found (QUORUM_GETH, BESU_HOME, or besu / a
 * GoQuorum geth on PATH) and otherwise says in one line why it is skipped. `hardhat --network qbft readiness --rto`
 * runs the demo on four validators, then kills one while a settlement is in flight, stops two (production halts)
 * and restarts one, and takes the HSM outage, each timed to the next settlement receipt. The suite checks what does
 * not depend on the machine's speed: the halt happened, every acknowledged settlement is on chain, each answer is
 * the one its samples give against the stated objective, and the devnet is left with four validators producing.
 */
import { expect } from "chai";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ReadinessEvidence } from "../../src/demo/readiness";
import { liveNodes, readDevnetState, rpcCall, startDevnet } from "../../src/devnet";
import { HARDHAT, prepareDevnet, ROOT, run, teardownDevnet, type SuiteDevnet } from "./harness";

// A chain id of the suite's own; the ports of the flow suite, which runs before it and stops its devnet.
const CHAIN_ID = 7313;
const SPEC = { chainId: CHAIN_ID, validators: 4, basePorts: { p2p: 31303, rpc: 9545 }, requestTimeoutSeconds: 4 };
const SAMPLES = 2;
const RTO_MS = 30_000;

type Result = ReadinessEvidence & { report: string };

describe("devnet: readiness question 3 measured on four validators against a stated recovery time", function () {
  this.timeout(1_800_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let devnet: SuiteDevnet | undefined;
  let result: Result;
  let exitCode: number;

  before(async function () {
    devnet = await prepareDevnet(this, {
      name: "devnet readiness suite",
      prefix: "devnet-ready",
      spec: SPEC,
      journalPrefix: "demo-chain",
    });
    ({ dir, env } = devnet);
    await startDevnet(dir);
    const args = ["--network", "qbft", "readiness", "--rto", `${RTO_MS / 1000}s`, "--samples", String(SAMPLES)];
    const flags = ["--run-dir", path.join(dir, "run"), "--report", path.join(dir, "readiness.md"), "--json"];
    const began = Date.now();
    let stdout: string;
    try {
      ({ stdout } = await run(HARDHAT, [...args, ...flags], { cwd: ROOT, env, maxBuffer: 256 * 1024 * 1024 }));
      exitCode = 0;
    } catch (error) {
      // A NO fails the task (READINESS_FAILED, exit 65); the evidence is then under error.details.result.
      const failed = error as { code?: number; stdout?: string };
      exitCode = failed.code ?? -1;
      stdout = failed.stdout ?? "";
    }
    console.log(`    readiness on the devnet: ${((Date.now() - began) / 1000).toFixed(0)} s, exit ${exitCode}`);
    const document = JSON.parse(stdout) as
      Result | { error: { code: string; message: string; details: { result?: Result } } };
    if ("error" in document && document.error.details.result === undefined) {
      expect.fail(`readiness failed without answering: ${document.error.code}: ${document.error.message}`);
    }
    result = "error" in document ? document.error.details.result! : document;
    const net = result.recovery.network;
    const s = (ms: number[]) => ms.map((m) => (m / 1000).toFixed(1)).join(", ");
    if (net !== null) {
      console.log(
        `    killed: ${s(net.killed.samplesMs)} s (${net.killed.answer}); halt: ${s(net.halt.samplesMs)} s ` +
          `(${net.halt.answer}); HSM outage: ${s([result.recovery.outage.resumedAfterRestoreMs ?? NaN])} s ` +
          `(${result.recovery.outageAnswer}); recovery point ${net.recoveryPoint.onChain}/${net.recoveryPoint.acknowledged}`,
      );
    }
  });

  after(async function () {
    await teardownDevnet(devnet);
  });

  it("measures both validator faults and the HSM outage, each answered by its samples against the objective", () => {
    const q = result.recovery;
    const net = q.network!;
    expect(q.rtoMs).to.equal(RTO_MS);
    expect(q.validator.status).to.equal("MEASURED");
    for (const fault of [net.killed, net.halt]) {
      expect(fault.samplesMs, fault.fault).to.have.length(SAMPLES);
      expect(fault.answer, fault.fault).to.equal(Math.max(...fault.samplesMs) <= RTO_MS ? "YES" : "NO");
    }
    const outageOk = q.outage.status === "resumed" && (q.outage.resumedAfterRestoreMs ?? Infinity) <= RTO_MS;
    expect(q.outageAnswer).to.equal(outageOk ? "YES" : "NO");
    const all = [net.killed.answer, net.halt.answer, q.outageAnswer].every((a) => a === "YES");
    expect(q.answer).to.equal(all ? "YES" : "NO");
    const sections = [result.policyChange.answer, result.auditTrail.answer, q.answer];
    expect(exitCode).to.equal(sections.includes("NO") ? 65 : 0);
  });

  it("halts production with two of four validators stopped, in every sample", () => {
    expect(result.recovery.network!.halt.halted).to.deep.equal(Array<boolean>(SAMPLES).fill(true));
  });

  it("loses no settlement acknowledged before or during a fault", () => {
    expect(result.recovery.network!.recoveryPoint).to.deep.equal({
      acknowledged: 2 * SAMPLES,
      onChain: 2 * SAMPLES,
      lost: [],
    });
  });

  it("leaves the devnet with four validators running and producing blocks", async () => {
    const state = readDevnetState(dir)!;
    expect(result.recovery.network!.restored).to.equal(true);
    expect(liveNodes(dir, state)).to.have.length(4);
    const node = state.nodes[3];
    const head = async () => Number(await rpcCall<string>(node.rpcUrl, "eth_blockNumber", [], 5_000));
    const from = await head();
    const deadline = Date.now() + 60_000;
    while ((await head()) <= from) {
      if (Date.now() > deadline) expect.fail(`${node.name} stayed at block ${from}`);
      await sleep(250);
    }
  });
});
