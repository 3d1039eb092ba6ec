/**
 * The banks' real signing path on a real QBFT client: runs whenever one is found (QUORUM_GETH, BESU_HOME, or besu /
 * a GoQuorum geth on PATH) and otherwise says in one line why it is skipped. Four validators start; the demo runs
 * on them as an operator runs it (`hardhat --network qbft demo`): three banks with SoftHSM keys (never funded: gas
 * is free on the devnet), signed policy bundles, approvals and audit logs settle, are denied, change a shared
 * parameter through a timelock the demo waits out on the chain's own clock, and reverse inside a window of seconds.
 */
import { expect } from "chai";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import type { DemoEvidence } from "../../src/demo/evidence";
import { readDevnetState, startDevnet, type NodeState } from "../../src/devnet";
import { HARDHAT, prepareDevnet, ROOT, run, teardownDevnet, type SuiteDevnet } from "./harness";
import { SettlementEngine__factory } from "../../typechain-types";
import { Status } from "../fixtures";

// A chain id and ports of the suite's own (the other devnet suite uses 41303/41545 and chain 7311).
const CHAIN_ID = 7312;
const SPEC = { chainId: CHAIN_ID, validators: 4, basePorts: { p2p: 31303, rpc: 9545 }, requestTimeoutSeconds: 4 };
/** deploy/consortia/devnet.json: the timelock and reversal window the demo must wait out on the chain's clock. */
const PROPOSAL_DELAY_S = 15;
const LONGER_REVERSAL_WINDOW_S = 40;

describe("devnet: the demo's banks settle through HSM keys, policy gates and audit logs", function () {
  this.timeout(1_200_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let devnet: SuiteDevnet | undefined;
  let evidence: DemoEvidence;
  let rpcUrl: string;

  before(async function () {
    devnet = await prepareDevnet(this, {
      name: "devnet flow suite",
      prefix: "devnet-flow",
      spec: SPEC,
      journalPrefix: "demo-chain",
    });
    ({ dir, env } = devnet);
    await startDevnet(dir);
    rpcUrl = (readDevnetState(dir)?.nodes[0] as NodeState).rpcUrl;

    const began = Date.now();
    const ran = await run(HARDHAT, ["--network", "qbft", "demo", "--run-dir", path.join(dir, "demo"), "--json"], {
      cwd: ROOT,
      env,
      maxBuffer: 256 * 1024 * 1024,
    });
    console.log(`    demo on the devnet: ${((Date.now() - began) / 1000).toFixed(0)} s`);
    evidence = JSON.parse(ran.stdout) as DemoEvidence;
  });

  after(async function () {
    await teardownDevnet(devnet);
  });

  it("settles a DvP on chain through the banks' HSM keys, never funded", async () => {
    expect(evidence.network).to.equal("qbft");
    expect(evidence.chainId).to.equal(CHAIN_ID);
    const t1 = evidence.trades.find((t) => t.ref === "DEMO-DVP-0001")!;
    expect(t1.timeline.map((e) => e.event)).to.deep.equal([
      "SettlementInstructed",
      "SettlementAffirmed",
      "SettlementLocked",
      "SettlementSettled",
    ]);
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
    try {
      const engine = SettlementEngine__factory.connect(evidence.consortium.engine, provider);
      // Settled, and past its reversal window by now: Final is the settled state the chain reports then.
      expect(Number(await engine.statusOf(t1.id))).to.equal(Status.Final);
      for (const bank of evidence.banks) {
        expect(await provider.getBalance(bank.address), `${bank.name}'s HSM key holds no ether`).to.equal(0n);
      }
    } finally {
      provider.destroy();
    }
  });

  it("runs every scene to the outcome it has on the in-process network", () => {
    expect(Object.fromEntries(evidence.trades.map((t) => [t.ref, t.status]))).to.deep.equal({
      "DEMO-DVP-0001": "Final",
      "DEMO-DVP-0002": "None",
      "DEMO-DVP-0003": "Final",
      "DEMO-DVP-0004": "Cancelled",
      "DEMO-DVP-0005": "Final",
      "DEMO-DVP-0006": "Reversed",
    });
    const notes = Object.fromEntries(evidence.trades.map((t) => [t.ref, t.notes]));
    expect(notes["DEMO-DVP-0002"]).to.deep.equal(["instruct denied by Alpha Bank: SETTLEMENT_LIMIT_EXCEEDED"]);
    expect(notes["DEMO-DVP-0005"]).to.deep.equal(["instruct denied by Beta Bank: SHARED_VERSION_MISMATCH"]);
    expect(notes["DEMO-DVP-0001"][0]).to.match(/^requestReversal refused by the chain: SettlementFinal\(/);
  });

  it("leaves each bank's audit log verified, holding the policy decision behind every step it signed", () => {
    expect(evidence.banks.map((b) => [b.name, b.verified, b.problem])).to.deep.equal([
      ["Alpha Bank", true, null],
      ["Beta Bank", true, null],
      ["Gamma Bank", true, null],
    ]);
    for (const t of evidence.trades) {
      for (const event of t.timeline) {
        expect(event.signedIn, `${t.ref} ${event.event}: no signature record`).to.not.equal(null);
        expect(event.signedIn?.decision?.outcome, `${t.ref} ${event.event}: no allow decision`).to.equal("allow");
      }
    }
    const denied = evidence.trades.find((t) => t.ref === "DEMO-DVP-0002")!;
    const alpha = denied.audit.find((a) => a.bank === "Alpha Bank")!;
    expect(alpha.records.map((r) => r.kind)).to.include("decision");
  });

  it("waits out the timelock and the reversal window on the chain's own clock instead of moving it", () => {
    const elapsed = evidence.clock.chainEnd - evidence.clock.chainStart;
    expect(elapsed).to.be.at.least(PROPOSAL_DELAY_S + LONGER_REVERSAL_WINDOW_S);
    // Nobody moved the validators' clock: at the end it is within a few block periods of the wall clock.
    expect(Math.abs(evidence.clock.chainEnd - evidence.clock.wallEnd)).to.be.at.most(5);
  });
});
