/**
 * Shared set-up of the API tests: the demo API (three banks on the in-process network, one server each on a free
 * port, the demo token issuer), started once for every API test file of a run and closed when the run ends, and
 * small real-HTTP helpers (fetch, never inject).
 */
import hre from "hardhat";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startDemoApi, type DemoApi, type DemoApiBank } from "../../src/api/demo";
import { DEMO_CONFIG } from "../tasks/helpers";

let started: Promise<{ api: DemoApi; dir: string }> | undefined;

/** The demo API, started at the first call of the run. */
export async function demoApi(): Promise<DemoApi> {
  started ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "api-"));
    return { api: await startDemoApi(hre, { runDir: dir, consortiumConfig: DEMO_CONFIG, port: 0 }), dir };
  })();
  return (await started).api;
}

// Root-level hook: the demo API goes when the run ends.
after(async function () {
  if (started === undefined) return;
  const { api, dir } = await started;
  started = undefined;
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One request over real HTTP; the body is parsed when the answer is JSON. */
export async function call(
  bank: DemoApiBank,
  method: string,
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${bank.url}${url}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get("content-type") ?? "").includes("application/json")) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}
