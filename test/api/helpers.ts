/**
 * Shared set-up of the API tests: the demo API (three banks on the in-process network, one server each on a free
 * port, the demo token issuer) per test file, and small real-HTTP helpers (fetch, never inject).
 */
import hre from "hardhat";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ApiPlugin } from "../../src/api";
import { startDemoApi, type DemoApi, type DemoApiBank } from "../../src/api/demo";
import { DEMO_CONFIG } from "../tasks/helpers";

/**
 * The demo API for the test file's `describe`: started before its tests, on a snapshot of the chain, and closed
 * (participants and servers, so the PKCS#11 module lets go of the demo's tokens for the next file) and the chain
 * reverted after them.
 */
export function useDemoApi(plugins: readonly ApiPlugin[] = []): () => DemoApi {
  let api: DemoApi | undefined;
  let dir: string;
  let snapshot: string;
  before(async function () {
    snapshot = (await hre.network.provider.request({ method: "evm_snapshot", params: [] })) as string;
    dir = await mkdtemp(path.join(tmpdir(), "api-"));
    api = await startDemoApi(hre, { runDir: dir, consortiumConfig: DEMO_CONFIG, port: 0, plugins });
  });
  after(async function () {
    await api?.close();
    api = undefined;
    await rm(dir, { recursive: true, force: true });
    await hre.network.provider.request({ method: "evm_revert", params: [snapshot] });
  });
  return () => {
    if (api === undefined) throw new Error("the demo API is used outside its describe");
    return api;
  };
}

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
  // A live stream (Server-Sent Events) never ends by itself: its status and headers are the answer.
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, body: "", text: "" };
  }
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get("content-type") ?? "").includes("application/json")) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body, text };
}
