/**
 * The health endpoint over real HTTP (node:http on an ephemeral port): 200 when every check passes, 503 naming
 * the failing check (one that throws, one that never answers within its timeout), Prometheus text on /metrics,
 * 404 and 405 for anything else, and no secret in a failing check's message.
 */
import { expect } from "chai";
import { Counter, Registry } from "prom-client";
import { isFrameworkError } from "../../src/errors";
import { HealthServer, type HealthCheck } from "../../src/observability";

describe("observability: health server", function () {
  let server: HealthServer;
  let state: Record<string, HealthCheck>;
  const registry = new Registry();
  const served = new Counter({ name: "test_served_total", help: "served", registers: [registry] });

  beforeEach(async function () {
    state = { store: () => undefined, chain: () => Promise.resolve(42) };
    server = await HealthServer.start(
      { port: 0, checkTimeoutMs: 200 },
      {
        checks: { store: () => state.store(), chain: () => state.chain() },
        metrics: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
      },
    );
  });

  afterEach(async function () {
    await server.close();
  });

  it("answers 200 with every check ok on an ephemeral port", async function () {
    expect(server.port).to.be.greaterThan(0);
    const res = await fetch(`${server.url}/health`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.equal("application/json");
    expect(await res.json()).to.deep.equal({
      status: "ok",
      checks: { store: { status: "ok" }, chain: { status: "ok" } },
    });
  });

  it("answers 503 naming a check that throws, with its code and message", async function () {
    state.store = () => {
      throw Object.assign(new Error("database is locked"), { code: "AUDIT_STORE_UNAVAILABLE" });
    };
    const res = await fetch(`${server.url}/health`);
    expect(res.status).to.equal(503);
    expect(await res.json()).to.deep.equal({
      status: "failing",
      failing: ["store"],
      checks: {
        store: { status: "failing", code: "AUDIT_STORE_UNAVAILABLE", message: "database is locked" },
        chain: { status: "ok" },
      },
    });
  });

  it("answers 503 when a check does not answer within its timeout", async function () {
    state.chain = () => new Promise(() => undefined);
    const res = await fetch(`${server.url}/health`);
    expect(res.status).to.equal(503);
    const body = (await res.json()) as { failing: string[]; checks: Record<string, unknown> };
    expect(body.failing).to.deep.equal(["chain"]);
    expect(body.checks.chain).to.deep.equal({ status: "failing", code: "TIMEOUT", message: "no answer within 200 ms" });
  });

  it("never puts a connection string's password in a failing check's message", async function () {
    state.chain = () => Promise.reject(new Error("connect ECONNREFUSED postgres://bank:hunter2@db:5432/audit"));
    const text = await (await fetch(`${server.url}/health`)).text();
    expect(text).not.to.include("hunter2");
    expect(text).to.include("postgres://bank:[REDACTED]@db:5432/audit");
  });

  it("serves the metrics in Prometheus' text format", async function () {
    served.inc(3);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).to.include("# TYPE test_served_total counter\ntest_served_total 3");
  });

  it("answers 404 for an unknown path and 405 for another method", async function () {
    expect((await fetch(`${server.url}/healthz`)).status).to.equal(404);
    const post = await fetch(`${server.url}/health`, { method: "POST", body: "{}" });
    expect(post.status).to.equal(405);
    expect(post.headers.get("allow")).to.equal("GET, HEAD");
  });

  it("refuses an invalid configuration before listening", async function () {
    const error = await HealthServer.start(
      { port: 70_000 },
      { checks: {}, metrics: () => Promise.reject(new Error("never called")) },
    ).catch((e: unknown) => e);
    expect(isFrameworkError(error, "CONFIG_INVALID"), String(error)).to.equal(true);
  });
});
