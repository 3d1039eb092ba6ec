// Who may call what, over real HTTP against the demo API: every protected route, read from the served OpenAPI
// document (so a new route cannot skip these checks), answers 401 with WWW-Authenticate without a token or with
// one that does not verify, and 403 to a valid token without any of its roles; only the probes are open.
import { expect } from "chai";
import { API_ROLES } from "../../src/http/contract";
import type { DemoApi, DemoApiBank } from "../../src/api/demo";
import { secured, type ApiPlugin } from "../../src/api";
import { call, useDemoApi } from "./helpers";

interface Operation {
  method: string;
  path: string;
  roles: string[] | null;
}

/** Every operation of the served document, with the roles it admits (null: open). */
function operations(doc: {
  paths: Record<string, Record<string, { security?: unknown[]; "x-roles"?: string[] }>>;
}): Operation[] {
  const list: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      list.push({
        method: method.toUpperCase(),
        path: path.replace("{id}", `0x${"ab".repeat(32)}`),
        roles: op.security === undefined ? null : (op["x-roles"] ?? []),
      });
    }
  }
  return list;
}

/** A route plugin as another module registers one: its own route under /v1, guarded by the server's `authorize`. */
const plugin: ApiPlugin = (app, { authorize, participant }) => {
  app.get(
    "/extra/bank",
    {
      onRequest: authorize(["auditor"]),
      schema: { summary: "The bank's name (a plugin's route)", ...secured(["auditor"]) },
    },
    () => Promise.resolve({ bank: participant.config.bank.name }),
  );
  return Promise.resolve();
};

describe("API authentication and roles", function () {
  const fixture = useDemoApi([plugin]);
  let api: DemoApi;
  let alpha: DemoApiBank;
  let beta: DemoApiBank;
  let routes: Operation[];

  before(async function () {
    api = fixture();
    [alpha, beta] = api.banks;
    const doc = await call(alpha, "GET", "/openapi.json");
    routes = operations(doc.body as Parameters<typeof operations>[0]);
  });

  it("serves an OpenAPI 3.1 document in which every route but the probes needs a bearer token and names its roles", function () {
    const open = routes.filter((r) => r.roles === null).map((r) => `${r.method} ${r.path}`);
    expect(open).to.have.members(["GET /health", "GET /ready"]);
    expect(routes.length).to.be.greaterThan(20);
    expect(routes.map((r) => `${r.method} ${r.path}`)).to.include("GET /v1/extra/bank");
    for (const r of routes.filter((x) => x.roles !== null)) {
      expect(r.roles, `${r.method} ${r.path}`).to.not.be.empty;
      for (const role of r.roles!) expect(API_ROLES, `${r.method} ${r.path}`).to.include(role);
    }
  });

  it("refuses every protected route without a token with 401 and WWW-Authenticate", async function () {
    for (const r of routes.filter((x) => x.roles !== null)) {
      const answer = await call(alpha, r.method, r.path);
      expect(answer.status, `${r.method} ${r.path}`).to.equal(401);
      expect(answer.headers.get("www-authenticate"), `${r.method} ${r.path}`).to.match(/^Bearer realm="consortium"/);
      expect(answer.body).to.nested.include({ "error.code": "API_UNAUTHENTICATED" });
    }
  });

  it("refuses every protected route with 401 to a token that is expired, for another bank, from another issuer or tampered", async function () {
    const now = Math.floor(Date.now() / 1000);
    const bad = {
      expired: await api.sign(alpha.audience, { sub: "x", roles: ["administrator"] }, { expiresIn: now - 3600 }),
      "another bank's audience": beta.tokens.administrator,
      "another issuer": await api.sign(
        alpha.audience,
        { sub: "x", roles: ["administrator"] },
        { issuer: "https://elsewhere.invalid" },
      ),
      tampered: `${alpha.tokens.operations.slice(0, -4)}AAAA`,
      "not a JWT": "not.a.jwt",
    };
    for (const r of routes.filter((x) => x.roles !== null)) {
      for (const [kind, token] of Object.entries(bad)) {
        const answer = await call(alpha, r.method, r.path, { token });
        expect(answer.status, `${kind}: ${r.method} ${r.path}`).to.equal(401);
        expect(answer.headers.get("www-authenticate"), kind).to.include("invalid_token");
      }
    }
  });

  it("refuses every protected route with 403 to a valid token that holds none of its roles", async function () {
    const none = await api.sign(alpha.audience, { sub: "nobody", roles: [] });
    for (const r of routes.filter((x) => x.roles !== null)) {
      const lacking = API_ROLES.filter((role) => role !== "administrator" && !r.roles!.includes(role));
      for (const token of [none, ...lacking.map((role) => alpha.tokens[role])]) {
        const answer = await call(alpha, r.method, r.path, { token });
        expect(answer.status, `${r.method} ${r.path}`).to.equal(403);
        expect(answer.body).to.nested.include({ "error.code": "API_FORBIDDEN" });
      }
    }
  });

  it("lets the administrator role past every route's role check", async function () {
    for (const r of routes.filter((x) => x.roles !== null)) {
      const answer = await call(alpha, r.method, r.path, { token: alpha.tokens.administrator });
      expect(
        [401, 403].includes(answer.status) &&
          (answer.body as { error?: { code?: string } }).error?.code?.startsWith("API_"),
        `${r.method} ${r.path}`,
      ).to.equal(false);
    }
  });

  it("answers the probes without a token and the metrics to operations in Prometheus' text format", async function () {
    expect((await call(alpha, "GET", "/health")).body).to.deep.equal({ status: "ok" });
    const ready = await call(alpha, "GET", "/ready");
    expect(ready.status, ready.text).to.equal(200);
    expect(Object.keys((ready.body as { checks: object }).checks)).to.include.members([
      "audit_log_writable",
      "policy_bundle_active",
      "hsm_session_usable",
      "chain_reachable",
    ]);
    const metrics = await call(alpha, "GET", "/metrics", { token: alpha.tokens.operations });
    expect(metrics.status).to.equal(200);
    expect(metrics.headers.get("content-type")).to.match(/^text\/plain/);
    expect(metrics.text).to.match(/^# HELP /m);
  });

  it("serves a route plugin's route under /v1 behind the same authorize", async function () {
    const answer = await call(alpha, "GET", "/v1/extra/bank", { token: alpha.tokens.auditor });
    expect(answer.body).to.deep.equal({ bank: "Alpha Bank" });
  });

  it("answers an unknown route with 404 API_ROUTE_NOT_FOUND in the one error shape", async function () {
    const answer = await call(alpha, "GET", "/v1/nothing-here", { token: alpha.tokens.administrator });
    expect(answer.status).to.equal(404);
    expect(answer.body).to.nested.include({ "error.code": "API_ROUTE_NOT_FOUND" });
  });
});
