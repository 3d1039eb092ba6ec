/**
 * The event and webhook routes on a bare Fastify server over real HTTP, with a test `authorize` that reads the
 * caller's roles from a header (the bank's server brings JWT authentication): listing after a cursor with a type
 * filter, the live stream resuming after Last-Event-ID and then sending new events, subscriptions, dead letters and
 * redelivery, role refusals, and the routes in the OpenAPI document.
 */
import { expect } from "chai";
import Fastify, { type FastifyInstance } from "fastify";
import fastifySwagger from "@fastify/swagger";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { API_ROLES, type ApiRole, type Authorize } from "../../src/http/contract";
import { deliveryId, eventRoutes, EventStore, WebhookDispatcher } from "../../src/events";
import { newSecret, Receiver, recordSynthetic, syntheticEvent } from "./helpers";

/** Admits a request whose `x-test-roles` header names one of `roles`. */
const authorize: Authorize = (roles) => async (request, reply) => {
  const header = request.headers["x-test-roles"];
  if (typeof header !== "string")
    return reply.code(401).send({ error: { code: "UNAUTHENTICATED", message: "no token" } });
  const held = header.split(",").filter((r): r is ApiRole => (API_ROLES as readonly string[]).includes(r));
  if (!held.some((r) => roles.includes(r)))
    return reply.code(403).send({ error: { code: "FORBIDDEN", message: "role" } });
  request.caller = { subject: "test", roles: held };
};

interface SseMessage {
  id: string;
  event: string;
  data: { seq: number; type: string };
}

describe("eventRoutes", function () {
  let dir = "";
  let store: EventStore;
  let dispatcher: WebhookDispatcher;
  let app: FastifyInstance;
  let base = "";
  let receiver: Receiver;
  let now = Date.UTC(2026, 11, 7, 9);
  let closed = false;

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "events-routes-"));
    store = await EventStore.open({ path: path.join(dir, "events.db") });
    receiver = new Receiver();
    await receiver.up();
    dispatcher = new WebhookDispatcher(store, {
      config: { retryScheduleMs: [1_000] },
      now: () => now,
      random: () => 0.5, // no jitter: the retry is due exactly after the schedule's wait
      env: { ROUTES_WEBHOOK_SECRET: newSecret() },
    });
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    // The API server's one error document, for Fastify's own refusals (a query that fails its schema).
    app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) =>
      reply.code(error.statusCode ?? 500).send({ error: { code: error.code ?? "ERROR", message: error.message } }),
    );
    await app.register(fastifySwagger, {
      openapi: {
        info: { title: "bank", version: "1" },
        components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
      },
      transform: jsonSchemaTransform,
    });
    // Under the API's /v1 prefix, as the bank's API server registers them.
    await app.register(
      (scope) =>
        eventRoutes(scope, { authorize, events: { store, webhooks: dispatcher, stream: { heartbeatMs: 1_000 } } }),
      { prefix: "/v1" },
    );
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    base = `http://127.0.0.1:${port}`;
  });

  after(async function () {
    if (!closed) await app.close();
    await receiver.down();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: string, url: string, roles: string | null, body?: unknown) =>
    fetch(`${base}${url}`, {
      method,
      headers: {
        ...(roles === null ? {} : { "x-test-roles": roles }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("lists events after a cursor, filtered by type", async function () {
    const recorded = await recordSynthetic(store, [
      syntheticEvent(1),
      syntheticEvent(2, "SettlementSettled"),
      syntheticEvent(3),
    ]);
    const all = (await (await call("GET", "/v1/events", "auditor")).json()) as { events: { seq: number }[] };
    expect(all.events.map((e) => e.seq)).to.deep.equal(recorded.map((e) => e.seq));
    const res = await call("GET", `/v1/events?after=${recorded[0].seq}&type=SettlementInstructed`, "operations");
    const page = (await res.json()) as { events: { seq: number; type: string }[]; next: number };
    expect(page.events.map((e) => e.seq)).to.deep.equal([recorded[2].seq]);
    expect(page.next).to.equal(recorded[2].seq);
    expect((await call("GET", "/v1/events?after=-1", "auditor")).status).to.equal(400);
  });

  it("refuses a caller without a token (401) or without a role the route names (403)", async function () {
    expect((await call("GET", "/v1/events", null)).status).to.equal(401);
    expect((await call("GET", "/v1/events", "compliance")).status).to.equal(403);
    const subscription = { url: receiver.url, secret: { env: "ROUTES_WEBHOOK_SECRET" } };
    expect((await call("POST", "/v1/webhooks/subscriptions", "auditor", subscription)).status).to.equal(403);
    expect((await call("POST", "/v1/webhooks/deliveries/msg_x/redeliver", "auditor")).status).to.equal(403);
  });

  it("creates, lists and deletes subscriptions, and refuses a literal secret", async function () {
    const literal = { url: receiver.url, secret: { value: "whsec_abc" } };
    expect((await call("POST", "/v1/webhooks/subscriptions", "operations", literal)).status).to.equal(400);
    const created = await call("POST", "/v1/webhooks/subscriptions", "operations", {
      url: receiver.url,
      types: ["SettlementSettled"],
      secret: { env: "ROUTES_WEBHOOK_SECRET" },
    });
    expect(created.status).to.equal(201);
    const { id } = (await created.json()) as { id: string };
    const listed = (await (await call("GET", "/v1/webhooks/subscriptions", "auditor")).json()) as {
      subscriptions: { id: string; types: string[] }[];
    };
    expect(listed.subscriptions.map((s) => [s.id, s.types])).to.deep.equal([[id, ["SettlementSettled"]]]);
    expect((await call("DELETE", `/v1/webhooks/subscriptions/${id}`, "operations")).status).to.equal(200);
    const again = await call("DELETE", `/v1/webhooks/subscriptions/${id}`, "operations");
    expect(again.status).to.equal(404);
    expect(((await again.json()) as { error: { code: string } }).error.code).to.equal("EVENTS_SUBSCRIPTION_NOT_FOUND");
  });

  it("lists dead letters and redelivers one under its own id", async function () {
    const created = await call("POST", "/v1/webhooks/subscriptions", "operations", {
      url: receiver.url,
      secret: { env: "ROUTES_WEBHOOK_SECRET" },
    });
    const subscription = (await created.json()) as { id: string };
    const [event] = await recordSynthetic(store, [syntheticEvent(10)]);
    const id = deliveryId(event.id, subscription.id);
    receiver.status = 500;
    await dispatcher.runOnce();
    now += 1_000;
    await dispatcher.runOnce();
    const dead = (await (await call("GET", "/v1/webhooks/deliveries?state=dead", "auditor")).json()) as {
      deliveries: { id: string }[];
    };
    expect(dead.deliveries.map((d) => d.id)).to.deep.equal([id]);
    receiver.status = 200;
    const redelivered = await call("POST", `/v1/webhooks/deliveries/${id}/redeliver`, "operations");
    expect(redelivered.status).to.equal(202);
    expect(((await redelivered.json()) as { state: string }).state).to.equal("pending");
    await dispatcher.runOnce();
    expect((await dispatcher.webhooks.delivery(id)).state).to.equal("delivered");
    expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"]))).to.deep.equal(new Set([id]));
    expect((await call("POST", "/v1/webhooks/deliveries/msg_unknown/redeliver", "operations")).status).to.equal(404);
  });

  it("streams the stored events after Last-Event-ID, then each new one as it is recorded", async function () {
    const stored = await store.list({ limit: 1_000 });
    const from = stored[stored.length - 3].seq;
    const abort = new AbortController();
    const res = await fetch(`${base}/v1/events/stream?after=0`, {
      headers: { "x-test-roles": "auditor", "last-event-id": String(from) },
      signal: abort.signal,
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.contain("text/event-stream");
    const messages = sseMessages(res.body!);
    const seen: SseMessage[] = [];
    for (let i = 0; i < 2; i++) seen.push((await messages.next()).value as SseMessage);
    expect(seen.map((m) => Number(m.id))).to.deep.equal(stored.slice(-2).map((e) => e.seq));
    const [live] = await recordSynthetic(store, [syntheticEvent(20, "SettlementSettled")]);
    const next = (await messages.next()).value as SseMessage;
    expect([Number(next.id), next.event, next.data.seq]).to.deep.equal([live.seq, "SettlementSettled", live.seq]);
    await messages.return(undefined); // cancels the body: the client goes away
    abort.abort();
    const bad = await fetch(`${base}/v1/events/stream`, {
      headers: { "x-test-roles": "auditor", "last-event-id": "x" },
    });
    expect(bad.status).to.equal(400);
  });

  it("describes every route in the OpenAPI document", function () {
    const paths = Object.keys((app.swagger() as { paths: Record<string, unknown> }).paths);
    expect(paths).to.include.members([
      "/v1/events",
      "/v1/events/stream",
      "/v1/webhooks/subscriptions",
      "/v1/webhooks/subscriptions/{id}",
      "/v1/webhooks/deliveries",
      "/v1/webhooks/deliveries/{id}/redeliver",
    ]);
  });

  it("ends the open streams when the server closes", async function () {
    const res = await fetch(`${base}/v1/events/stream`, { headers: { "x-test-roles": "auditor" } });
    const messages = sseMessages(res.body!);
    expect((await messages.next()).done).to.equal(false);
    closed = true;
    // The stream ends first; the close then waits for the client's idle keep-alive connections (about 4 s).
    const closing = app.close();
    for (;;) if ((await messages.next()).done === true) break;
    await closing;
  });
});

/** The messages of a Server-Sent Events body (comments skipped). */
async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      if (!fields.has("data")) continue;
      yield {
        id: fields.get("id")!,
        event: fields.get("event")!,
        data: JSON.parse(fields.get("data")!) as SseMessage["data"],
      };
    }
  }
}
