/**
 * The devnet on a real QBFT client: runs whenever one is found (QUORUM_GETH, BESU_HOME, or besu / a GoQuorum geth on
 * PATH) and otherwise says in one line why it is skipped. Four validators start; the demo consortium is deployed
 * with the project's `hardhat deploy` (run as an operator runs it) and DvPs settle with the development keys; the
 * validator set is read over RPC; with one validator stopped blocks and settlements continue, with two stopped
 * production halts, and restarting one resumes it; `devnet:status` and `devnet:stop` run as tasks.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { HDNodeWallet, id, JsonRpcProvider, Mnemonic } from "ethers";
import { defaultDeploymentStore } from "../../src/deploy/store";
import {
  liveNodes,
  readDevnetState,
  rpcCall,
  startDevnet,
  stopDevnet,
  validatorsOf,
  type DevnetClient,
  type NodeState,
  DEV_MNEMONIC,
} from "../../src/devnet";
import { HARDHAT, prepareDevnet, ROOT, run, teardownDevnet, type SuiteDevnet } from "./harness";
import { settlementIdOf } from "../../src/settlement/terms";
import { SettlementEngine__factory } from "../../typechain-types";
import { Status } from "../fixtures";

// A chain id and ports of the suite's own, so that a devnet an operator runs on the machine is left alone.
const CHAIN_ID = 7311;
const SPEC = { chainId: CHAIN_ID, validators: 4, basePorts: { p2p: 41303, rpc: 41545 }, requestTimeoutSeconds: 4 };
/** Bounds on waiting for something the network must do; reaching one fails the test, it never passes it. */
const PROGRESS_DEADLINE_MS = 90_000;

async function head(node: NodeState): Promise<number> {
  return Number(await rpcCall<string>(node.rpcUrl, "eth_blockNumber", [], 5_000));
}

async function waitForHead(node: NodeState, above: number): Promise<number> {
  const deadline = Date.now() + PROGRESS_DEADLINE_MS;
  for (;;) {
    const now = await head(node).catch(() => -1);
    if (now > above) return now;
    if (Date.now() > deadline) expect.fail(`${node.name} stayed at block ${above} for ${PROGRESS_DEADLINE_MS} ms`);
    await sleep(250);
  }
}

describe("devnet: four validators on a real QBFT client", function () {
  this.timeout(900_000);
  let client: DevnetClient;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let devnet: SuiteDevnet | undefined;
  let tradeCount = 0;

  /** Runs a devnet task in its own Hardhat process, as an operator would. */
  async function devnetTask<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const { stdout } = await run(HARDHAT, [...args, "--json"], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as T;
  }

  /**
   * One DvP on the devnet: Beta Bank's operator instructs (bonds against tokenized deposits), Alpha Bank's
   * affirms, Beta's settles, each to its receipt. Sent with the development keys from this process: the
   * operator tasks sign only through a bank's participant outside the in-process network.
   */
  async function settleDvp(): Promise<void> {
    tradeCount += 1;
    const node = readDevnetState(dir)?.nodes[0] as NodeState;
    const provider = new JsonRpcProvider(node.rpcUrl, undefined, { pollingInterval: 100 });
    try {
      const [record] = await defaultDeploymentStore("qbft", ROOT).list("qbft");
      const key = (i: number) =>
        HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${i}`).connect(provider);
      const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)?.address as string;
      const [alpha, beta] = record.members;
      const engine = SettlementEngine__factory.connect(record.engine, provider);
      const terms = {
        tradeRef: id(`DEVNET-${Date.now()}-${tradeCount}`),
        kind: 0,
        seller: beta.accounts[0],
        buyer: alpha.accounts[0],
        asset: token("B30"),
        assetAmount: 100n,
        cash: token("aEUR"),
        cashAmount: 10_100_00n,
      };
      const legacy = { type: 0, gasPrice: 0 };
      await (await engine.connect(key(3)).instruct(terms, legacy)).wait();
      await (await engine.connect(key(1)).affirm(terms, legacy)).wait();
      await (await engine.connect(key(3)).settle(terms, legacy)).wait();
      expect(Number((await engine.record(settlementIdOf(terms))).status)).to.equal(Status.Settled);
    } finally {
      provider.destroy();
    }
  }

  before(async function () {
    devnet = await prepareDevnet(this, {
      name: "devnet suite",
      prefix: "devnet-net",
      spec: SPEC,
      journalPrefix: "chain",
    });
    ({ client, dir, env } = devnet);
  });

  after(async function () {
    await teardownDevnet(devnet);
  });

  it("starts four validators that produce blocks", async () => {
    const progress: string[] = [];
    const result = await startDevnet(dir, { onProgress: (m) => progress.push(m) });
    console.log(`    ${client.kind} ${client.version}: blocks after ${(result.elapsedMs / 1000).toFixed(1)} s`);
    expect(result.started).to.have.length(4);
    expect(progress.at(-1)).to.match(/^blocks are produced/);
  });

  it("reports the genesis validators over RPC on every node", async () => {
    const state = readDevnetState(dir);
    for (const node of state?.nodes ?? []) {
      expect(await validatorsOf(node, 5_000), node.name).to.deep.equal(state?.validators);
    }
    expect(state?.validators).to.have.length(4);
  });

  it("deploys the demo consortium with the deploy task and settles a DvP", async () => {
    const deployed = await devnetTask<{ status: string; record: { chainId: number } }>(
      "--network",
      "qbft",
      "deploy",
      "--consortium-config",
      "deploy/consortia/demo.json",
    );
    expect(deployed.status).to.equal("deployed");
    expect(deployed.record.chainId).to.equal(CHAIN_ID);
    await settleDvp();
  });

  it("keeps producing blocks and settling with one validator stopped", async () => {
    const state = readDevnetState(dir);
    const first = state?.nodes[0] as NodeState;
    expect((await stopDevnet(dir, { node: 3 })).stopped).to.deep.equal(["node-3"]);
    const from = await head(first);
    const began = Date.now();
    const reached = await waitForHead(first, from + 2);
    console.log(`    1 of 4 stopped: blocks ${from} -> ${reached} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    await settleDvp();
  });

  it("halts with two validators stopped, and resumes when one restarts", async () => {
    const state = readDevnetState(dir);
    const first = state?.nodes[0] as NodeState;
    expect((await stopDevnet(dir, { node: 2 })).stopped).to.deep.equal(["node-2"]);
    // A block already committed when node-2 stopped may still land; after a full round timeout none can.
    await sleep((SPEC.requestTimeoutSeconds + 1) * 1000);
    const halted = await head(first);
    await sleep(3 * SPEC.requestTimeoutSeconds * 1000);
    expect(await head(first), "2 of 4 validators cannot reach a quorum of 3").to.equal(halted);
    console.log(`    2 of 4 stopped: head stayed at ${halted} for ${3 * SPEC.requestTimeoutSeconds} s`);

    const began = Date.now();
    await startDevnet(dir, { node: 2 });
    const resumed = await waitForHead(first, halted);
    console.log(
      `    node-2 restarted: block ${resumed} ${((Date.now() - began) / 1000).toFixed(1)} s after the restart began`,
    );
    await settleDvp();
  });

  it("reports every node up with its peers through devnet:status", async () => {
    const status = await devnetTask<{ validators: string[]; nodes: { running: boolean; peers: number | null }[] }>(
      "devnet:status",
    );
    expect(status.validators).to.deep.equal(readDevnetState(dir)?.validators);
    expect(status.nodes.map((n) => n.running)).to.deep.equal([true, true, true, false]);
    expect(status.nodes[0].peers).to.equal(2);
  });

  it("stops every node a killed devnet:start left running", async () => {
    expect((await devnetTask<{ stopped: string[] }>("devnet:stop")).stopped).to.have.length(3);
    const starter = spawn(HARDHAT, ["devnet:start"], { cwd: ROOT, env, stdio: "ignore" });
    const exited = new Promise((resolve) => starter.once("exit", resolve));
    const deadline = Date.now() + PROGRESS_DEADLINE_MS;
    while ((readDevnetState(dir)?.nodes ?? []).some((n) => n.pid === null)) {
      if (Date.now() > deadline) expect.fail("devnet:start recorded no pid for every node");
      await sleep(100);
    }
    starter.kill("SIGKILL"); // the task dies; its nodes, detached, run on
    await exited;
    const state = readDevnetState(dir);
    expect(state === undefined ? 0 : liveNodes(dir, state).length).to.equal(4);
    expect((await devnetTask<{ stopped: string[] }>("devnet:stop")).stopped).to.have.length(4);
    const after = readDevnetState(dir);
    expect(after === undefined ? [] : liveNodes(dir, after)).to.deep.equal([]);
  });
});
