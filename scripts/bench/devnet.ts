/**
 * The consortium on the running QBFT devnet (`hardhat devnet:start`), on the client it runs: the latency of a DvP
 * lifecycle (instruct, affirm, settle, each to its receipt) and the throughput of tokenized-deposit transfers,
 * beside a baseline measured in the same run on the same chain: plain value transfers between the same accounts.
 * Transfers are signed locally (legacy, gas price 0) with consecutive nonces from three member accounts and sent
 * at once (100 requests at a time); throughput is transfers over the time from the first send to the block that
 * includes the last one. Besu's published figure (520 to 645 ERC-20 transfers a second on 4 QBFT validators,
 * Caliper, continuous load, other hardware) is printed for reference only. Goals are reported, never asserted.
 *
 * Run: npm run bench:devnet   (BENCH_DVP DvP lifecycles, default 5; BENCH_TRANSFERS per kind, default 2000).
 * Deploys deploy/consortia/demo.json with the project's deploy code unless it is recorded already.
 * Writes reports/bench-devnet.md and .json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, type TransactionRequest } from "ethers";
import type { HttpNetworkConfig } from "hardhat/types";
import hre from "hardhat";
import { deployConsortium } from "../../src/deploy";
import { DEV_MNEMONIC, devnetDir, readDevnetState } from "../../src/devnet";
import { PermissionedToken__factory, SettlementEngine__factory } from "../../typechain-types";
import { f, k, positiveInt } from "./common";

const DVP = positiveInt("BENCH_DVP", 5);
const TRANSFERS = positiveInt("BENCH_TRANSFERS", 2000);
const CONFIG = "deploy/consortia/demo.json";
const ROOT = hre.config.paths.root;
const BESU_PUBLISHED = "520 to 645 ERC-20 transfers/s (Besu wiki, Caliper, 4 QBFT validators)";

// A plain ethers provider polling every 100 ms: receipts are awaited as an application would await them.
const provider = new JsonRpcProvider((hre.network.config as HttpNetworkConfig).url, undefined, {
  pollingInterval: 100,
});
const wallet = (i: number) =>
  HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${i}`).connect(provider);

const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Every transaction hash of blocks after `from` until all of `wanted` are seen; the last block's number. */
async function awaitInclusion(wanted: Set<string>, from: number): Promise<number> {
  let next = from + 1;
  const deadline = Date.now() + 600_000;
  while (wanted.size > 0) {
    if (Date.now() > deadline) throw new Error(`${wanted.size} transactions not included after 600 s`);
    const head = await provider.getBlockNumber();
    for (; next <= head; next++) {
      const block = await provider.getBlock(next);
      for (const hash of block?.transactions ?? []) wanted.delete(hash);
    }
    if (wanted.size > 0) await sleep(100);
  }
  return next - 1;
}

/** Sends `count` transactions built by `build` from `senders` in turn with consecutive nonces; waits for all. */
async function burst(
  senders: HDNodeWallet[],
  count: number,
  build: (sender: HDNodeWallet, i: number) => TransactionRequest,
): Promise<{ seconds: number; blocks: number; failed: number }> {
  const chainId = (await provider.getNetwork()).chainId;
  const nonces = await Promise.all(senders.map((s) => provider.getTransactionCount(s.address, "pending")));
  const gasLimits = await Promise.all(senders.map((s) => provider.estimateGas({ ...build(s, 0), from: s.address })));
  const raw: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = i % senders.length;
    const tx = { ...build(senders[s], i), type: 0, gasPrice: 0n, chainId, nonce: nonces[s]++ };
    raw.push(await senders[s].signTransaction({ ...tx, gasLimit: (gasLimits[s] * 3n) / 2n }));
  }
  const from = await provider.getBlockNumber();
  const start = performance.now();
  const hashes: string[] = [];
  for (let i = 0; i < raw.length; i += 100) {
    const batch = raw.slice(i, i + 100).map((r) => provider.send("eth_sendRawTransaction", [r]) as Promise<string>);
    hashes.push(...(await Promise.all(batch)));
  }
  const last = await awaitInclusion(new Set(hashes), from);
  const seconds = (performance.now() - start) / 1000;
  let failed = 0;
  for (const hash of hashes) if ((await provider.getTransactionReceipt(hash))?.status !== 1) failed += 1;
  return { seconds, blocks: last - from, failed };
}

async function main(): Promise<void> {
  if (hre.network.name !== "qbft")
    throw new Error("run on the devnet: hardhat run --network qbft (npm run bench:devnet)");
  const state = readDevnetState(devnetDir(ROOT));
  const client = state?.nodes.find((n) => n.client !== null)?.client ?? "unknown";
  const deployed = await deployConsortium(hre, { configFile: CONFIG });
  const { record } = deployed;
  console.log(
    `consortium ${deployed.status} on chain ${record.chainId} (${client}, ${state?.nodes.length ?? "?"} nodes)`,
  );

  const alphaOp = wallet(1);
  const betaOp = wallet(3);
  const engine = SettlementEngine__factory.connect(record.engine, provider);
  const cash = record.tokens.find((t) => t.symbol === "aEUR");
  const bond = record.tokens.find((t) => t.symbol === "B30");
  if (cash === undefined || bond === undefined) throw new Error(`${CONFIG} must define aEUR and B30`);
  const [alpha, beta] = record.members;

  const steps = { instruct: [] as number[], affirm: [] as number[], settle: [] as number[], lifecycle: [] as number[] };
  for (let i = 0; i < DVP; i++) {
    const terms = {
      tradeRef: hre.ethers.id(`bench-devnet-${Date.now()}-${i}`),
      kind: 0,
      seller: beta.accounts[0],
      buyer: alpha.accounts[0],
      asset: bond.address,
      assetAmount: 1n,
      cash: cash.address,
      cashAmount: 100_00n,
    };
    const send = async (p: Promise<{ wait(): Promise<unknown> }>) => (await p).wait();
    const instruct = await timed(() => send(engine.connect(betaOp).instruct(terms, { gasPrice: 0, type: 0 })));
    const affirm = await timed(() => send(engine.connect(alphaOp).affirm(terms, { gasPrice: 0, type: 0 })));
    const settle = await timed(() => send(engine.connect(betaOp).settle(terms, { gasPrice: 0, type: 0 })));
    steps.instruct.push(instruct);
    steps.affirm.push(affirm);
    steps.settle.push(settle);
    steps.lifecycle.push(instruct + affirm + settle);
  }

  const accounts = [2, 4, 6].map(wallet); // the members' settlement accounts, funded with aEUR at deployment
  const token = PermissionedToken__factory.connect(cash.address, provider);
  const baseline = await burst(accounts, TRANSFERS, (s, i) => ({
    to: accounts[(accounts.indexOf(s) + 1) % accounts.length].address,
    value: BigInt(i + 1),
  }));
  const tokens = await burst(accounts, TRANSFERS, (s) => ({
    to: cash.address,
    data: token.interface.encodeFunctionData("transfer", [
      accounts[(accounts.indexOf(s) + 1) % accounts.length].address,
      1n,
    ]),
  }));

  const rows = (["instruct", "affirm", "settle", "lifecycle"] as const).map((step) => [
    step,
    f(quantile(steps[step], 0.5), 0),
    f(Math.max(...steps[step]), 0),
  ]);
  const tps = (b: { seconds: number }) => TRANSFERS / b.seconds;
  const lines = [
    `# Devnet benchmark`,
    ``,
    `Client ${client}, ${state?.nodes.length ?? "?"} validators, block period ${state?.spec.blockPeriodSeconds ?? "?"} s, chain ${record.chainId}.`,
    ``,
    `## DvP lifecycle latency (${DVP} lifecycles, each step to its receipt, ms)`,
    ``,
    `| step | p50 | max |`,
    `| ---- | --- | --- |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    ``,
    `## Throughput (${TRANSFERS} transfers each, sent at once from 3 accounts)`,
    ``,
    `| what | transfers/s | seconds | blocks | failed |`,
    `| ---- | ----------- | ------- | ------ | ------ |`,
    `| baseline: plain value transfers | ${f(tps(baseline))} | ${f(baseline.seconds)} | ${baseline.blocks} | ${baseline.failed} |`,
    `| tokenized deposit (aEUR) transfers | ${f(tps(tokens))} | ${f(tokens.seconds)} | ${tokens.blocks} | ${tokens.failed} |`,
    ``,
    `Reference only: ${BESU_PUBLISHED}. Token transfers reach ${k((100 * tps(tokens)) / tps(baseline))}% of the baseline.`,
    ``,
  ];
  const out = path.join(ROOT, "reports");
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, "bench-devnet.md"), lines.join("\n"));
  await writeFile(
    path.join(out, "bench-devnet.json"),
    `${JSON.stringify({ client, chainId: record.chainId, dvp: steps, baseline, tokens, transfers: TRANSFERS }, null, 2)}\n`,
  );
  console.log(lines.join("\n"));
  provider.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
