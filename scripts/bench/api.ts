/**
 * Settlement instructions through the bank's HTTP API against direct `participant.instruct` calls, in one run on
 * the in-process Hardhat network with the demo API's banks (`npm run api`'s set-up). Each instruction is a DvP by
 * Beta Bank (seller, one B30 bond) to Alpha Bank (buyer, 1.00 aEUR) with its own trade ref: through the API a
 * `POST /v1/settlements` with its own Idempotency-Key, sent by autocannon over one connection; directly the same
 * call on the participant. The network automines and refuses a nonce ahead of the next one, so both run one
 * instruction at a time, in alternating rounds so that both see the same background load. Reports instructions a
 * second, the ratio API/direct, and p50/p99 latency. Goals are reported, never asserted.
 *
 * Run: npm run bench:api   (BENCH_N instructions per round and path, default 100; BENCH_ROUNDS, default 2;
 * BENCH_WARMUP uncounted instructions per path first, default 5). Needs SoftHSM2 and the OPA CLI, as the demo
 * does. Writes reports/bench-api.json.
 */
import autocannon from "autocannon";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import hre from "hardhat";
import { ApiLedger } from "../../src/api";
import { startDemoApi, type DemoApi } from "../../src/api/demo";
import { InstructBodySchema } from "../../src/api/schemas";
import { f, positiveInt } from "./common";

const N = positiveInt("BENCH_N", 100);
const ROUNDS = positiveInt("BENCH_ROUNDS", 2);
const WARMUP = positiveInt("BENCH_WARMUP", 5);
const ROOT = hre.config.paths.root;
const RUN_DIR = path.join(ROOT, "reports", "bench-api-run");

let serial = 0;

function body(api: DemoApi): Record<string, string> {
  const [alpha, beta] = api.banks;
  return {
    tradeRef: `BENCH-API-${++serial}`,
    kind: "DvP",
    seller: beta.bank.address,
    buyer: alpha.bank.address,
    asset: "B30",
    assetAmount: "1",
    cash: "aEUR",
    cashAmount: "1.00",
  };
}

/** `count` instructions through Beta's API, one at a time; seconds and latencies (ms). */
async function throughApi(api: DemoApi, count: number): Promise<{ seconds: number; p50: number; p99: number }> {
  const beta = api.banks[1];
  const started = performance.now();
  const result = await autocannon({
    url: `${beta.url}/v1/settlements`,
    connections: 1,
    amount: count,
    timeout: 60,
    requests: [
      {
        method: "POST",
        setupRequest: (request) => ({
          ...request,
          headers: {
            authorization: `Bearer ${beta.tokens.operations}`,
            "content-type": "application/json",
            "idempotency-key": `bench-api-${serial + 1}`,
          },
          body: JSON.stringify(body(api)),
        }),
      },
    ],
  });
  const seconds = (performance.now() - started) / 1000;
  if (result["2xx"] !== count)
    throw new Error(`${count - result["2xx"]} API instructions failed (non-2xx ${result.non2xx})`);
  return { seconds, p50: result.latency.p50, p99: result.latency.p99 };
}

/** `count` direct `participant.instruct` calls, one at a time; seconds and latencies (ms). */
async function direct(api: DemoApi, count: number): Promise<{ seconds: number; p50: number; p99: number }> {
  const beta = api.banks[1];
  const ledger = new ApiLedger(beta.bank.participant);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const terms = await ledger.toTerms(InstructBodySchema.parse(body(api)));
    const at = performance.now();
    await beta.bank.participant.instruct(terms);
    samples.push(performance.now() - at);
  }
  const seconds = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  const pick = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { seconds, p50: pick(0.5), p99: pick(0.99) };
}

async function main(): Promise<void> {
  rmSync(RUN_DIR, { recursive: true, force: true });
  const api = await startDemoApi(hre, {
    runDir: RUN_DIR,
    consortiumConfig: path.join(ROOT, "deploy", "consortia", "demo.json"),
    port: 0,
  });
  try {
    await direct(api, WARMUP);
    await throughApi(api, WARMUP);
    type Timing = Awaited<ReturnType<typeof direct>>;
    const rounds: { direct: Timing; api: Timing }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const d = await direct(api, N);
      const a = await throughApi(api, N);
      rounds.push({ direct: d, api: a });
      console.log(
        `round ${r + 1}: direct ${f(N / d.seconds)}/s (p50 ${f(d.p50)} ms, p99 ${f(d.p99)} ms), ` +
          `API ${f(N / a.seconds)}/s (p50 ${f(a.p50)} ms, p99 ${f(a.p99)} ms)`,
      );
    }
    const total = (k: "direct" | "api"): number => rounds.reduce((s, r) => s + r[k].seconds, 0);
    const directRate = (N * ROUNDS) / total("direct");
    const apiRate = (N * ROUNDS) / total("api");
    const summary = {
      instructionsPerRoundAndPath: N,
      rounds: ROUNDS,
      directPerSecond: Number(f(directRate, 2)),
      apiPerSecond: Number(f(apiRate, 2)),
      ratio: Number(f(apiRate / directRate, 3)),
      perRound: rounds,
    };
    console.log(
      `\nSettlement instructions, one at a time: direct ${f(directRate)}/s, through the API ${f(apiRate)}/s, ` +
        `ratio ${f(apiRate / directRate, 2)}`,
    );
    mkdirSync(path.join(ROOT, "reports"), { recursive: true });
    writeFileSync(path.join(ROOT, "reports", "bench-api.json"), `${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    await api.close();
    rmSync(RUN_DIR, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
