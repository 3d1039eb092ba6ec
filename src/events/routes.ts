/**
 * `eventRoutes`: the bank's HTTP surface of the follower and the webhooks (Fastify 5, schemas in zod, so they
 * appear in the OpenAPI document): the recorded events and their live stream for auditors and operations, webhook
 * subscriptions and redelivery for operations. A framework error answers with its code's HTTP status
 * (src/errors/status.ts) and `{ code, message }`.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { secured, type ApiRole, type Authorize } from "../http/contract";
import { SecretSourceSchema } from "../core";
import { httpStatus, isFrameworkError } from "../errors";
import { parseEventsConfig, StreamConfigSchema, type StreamConfigInput } from "./config";
import type { EventStore } from "./store";
import { streamCursor, streamEvents } from "./stream";
import { eventView } from "./view";
import type { WebhookDispatcher } from "./webhooks";

/** What the routes serve from. */
export interface EventServices {
  store: EventStore;
  webhooks: WebhookDispatcher;
  stream?: StreamConfigInput;
}

export interface EventRoutesContext {
  participant?: unknown;
  authorize: Authorize;
  events: EventServices;
}

const READ: readonly ApiRole[] = ["auditor", "operations"];
const OPERATE: readonly ApiRole[] = ["operations"];

/** The one error document of the bank's API: `{ error: { code, message, details? } }`. */
const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.unknown()).optional() }),
});
const errors = { "4xx": ErrorSchema, "5xx": ErrorSchema };
const json = z.record(z.unknown());
const EventSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  kind: z.enum(["event", "receipt"]),
  type: z.string(),
  chainId: z.number().int(),
  blockNumber: z.number().int(),
  blockHash: z.string(),
  logIndex: z.number().int(),
  txHash: z.string(),
  contract: z.string(),
  address: z.string(),
  subject: z.string().nullable(),
  data: json,
  own: z.boolean(),
  audit: z.object({
    event: z.number().int().nullable(),
    decision: z.number().int().nullable(),
    signature: z.number().int().nullable(),
  }),
  recordedAt: z.string(),
});
const SubscriptionSchema = z.object({
  id: z.string(),
  url: z.string(),
  types: z.array(z.string()),
  secret: SecretSourceSchema,
  description: z.string(),
  createdAt: z.string(),
});
const DeliveryState = z.enum(["pending", "delivered", "dead", "cancelled"]);
const DeliverySchema = z.object({
  id: z.string(),
  eventSeq: z.number().int(),
  eventId: z.string(),
  subscriptionId: z.string(),
  state: DeliveryState,
  attempts: z.number().int(),
  nextAttemptAt: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});
const Cursor = z.string().regex(/^\d{1,15}$/, "must be an event seq");
/** Comma-separated event types (`SettlementInstructed,TransactionReceipt`). */
const Types = z.string().regex(/^[A-Za-z0-9]+(,[A-Za-z0-9]+)*$/, "must be event types separated by commas");
const Limit = z.coerce.number().int().min(1).max(1_000).default(100);

const typesOf = (types: string | undefined): string[] | undefined => types?.split(",");

/** Answers a framework error with its status and code; anything else is the server's own error handler's. */
async function answering<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (!isFrameworkError(error)) throw error;
    return reply.code(httpStatus(error)).send({ error: { code: error.code, message: error.message } });
  }
}

/** Registers the routes on `app` (the server sets zod as its validator and serializer). */
export function eventRoutes(app: FastifyInstance, ctx: EventRoutesContext): Promise<void> {
  const { authorize, events } = ctx;
  const { store, webhooks } = events;
  const stream = parseEventsConfig(StreamConfigSchema, events.stream, "event stream");
  const r = app.withTypeProvider<ZodTypeProvider>();
  // Open streams never go idle: end them before the server waits for its connections to close.
  const closing = new AbortController();
  app.addHook("preClose", (done) => {
    closing.abort();
    done();
  });

  r.get(
    "/events",
    {
      onRequest: authorize(READ),
      schema: {
        ...secured(READ),
        tags: ["events"],
        summary: "Chain events and receipts recorded for the bank, after a cursor",
        querystring: z.object({ after: Cursor.optional(), type: Types.optional(), limit: Limit }),
        response: { 200: z.object({ events: z.array(EventSchema), next: z.number().int() }), ...errors },
      },
    },
    async (request) => {
      const after = Number(request.query.after ?? 0);
      const list = await store.list({ after, types: typesOf(request.query.type), limit: request.query.limit });
      return { events: list.map(eventView), next: list.at(-1)?.seq ?? after };
    },
  );

  r.get(
    "/events/stream",
    {
      onRequest: authorize(READ),
      schema: {
        ...secured(READ),
        tags: ["events"],
        summary: "Live stream (Server-Sent Events): stored events after the cursor, then new ones",
        description: "Resumes after `Last-Event-ID` (sent by a reconnecting EventSource) or else `after`.",
        querystring: z.object({ after: Cursor.optional(), type: Types.optional() }),
        headers: z.object({ "last-event-id": Cursor.optional() }).passthrough(),
        response: errors,
      },
    },
    async (request, reply) =>
      answering(reply, async () => {
        const after = streamCursor(request.headers["last-event-id"], request.query.after);
        reply.hijack();
        await streamEvents(
          store,
          reply.raw,
          { after, types: typesOf(request.query.type), signal: closing.signal },
          stream,
        );
        return reply;
      }),
  );

  r.post(
    "/webhooks/subscriptions",
    {
      onRequest: authorize(OPERATE),
      schema: {
        ...secured(OPERATE),
        tags: ["webhooks"],
        summary: "Subscribe a URL to the bank's events (Standard Webhooks, signed with the named whsec_ secret)",
        body: z
          .object({
            url: z
              .string()
              .url()
              .regex(/^https?:\/\//, "must be an http(s) URL"),
            types: z.array(z.string().regex(/^[A-Za-z0-9]+$/)).default([]),
            secret: SecretSourceSchema,
            description: z.string().max(500).optional(),
          })
          .strict(),
        response: { 201: SubscriptionSchema, ...errors },
      },
    },
    async (request, reply) => {
      const subscription = await webhooks.webhooks.createSubscription(request.body);
      return reply.code(201).send(subscription);
    },
  );

  r.get(
    "/webhooks/subscriptions",
    {
      onRequest: authorize(READ),
      schema: {
        ...secured(READ),
        tags: ["webhooks"],
        summary: "Webhook subscriptions",
        response: { 200: z.object({ subscriptions: z.array(SubscriptionSchema) }), ...errors },
      },
    },
    async () => ({ subscriptions: await webhooks.webhooks.subscriptions() }),
  );

  r.delete(
    "/webhooks/subscriptions/:id",
    {
      onRequest: authorize(OPERATE),
      schema: {
        ...secured(OPERATE),
        tags: ["webhooks"],
        summary: "Delete a subscription; its deliveries still waiting are cancelled",
        params: z.object({ id: z.string().min(1) }),
        response: { 200: z.object({ id: z.string(), deleted: z.literal(true) }), ...errors },
      },
    },
    async (request, reply) =>
      answering(reply, async () => {
        await webhooks.webhooks.deleteSubscription(request.params.id);
        return { id: request.params.id, deleted: true as const };
      }),
  );

  r.get(
    "/webhooks/deliveries",
    {
      onRequest: authorize(READ),
      schema: {
        ...secured(READ),
        tags: ["webhooks"],
        summary: "Webhook deliveries, by state (`dead`: retries used up)",
        querystring: z.object({ state: DeliveryState.optional(), subscription: z.string().optional(), limit: Limit }),
        response: { 200: z.object({ deliveries: z.array(DeliverySchema) }), ...errors },
      },
    },
    async (request) => ({
      deliveries: await webhooks.webhooks.deliveries({
        state: request.query.state,
        subscriptionId: request.query.subscription,
        limit: request.query.limit,
      }),
    }),
  );

  r.post(
    "/webhooks/deliveries/:id/redeliver",
    {
      onRequest: authorize(OPERATE),
      schema: {
        ...secured(OPERATE),
        tags: ["webhooks"],
        summary: "Send a delivery again, under its own webhook-id",
        params: z.object({ id: z.string().min(1) }),
        response: { 202: DeliverySchema, ...errors },
      },
    },
    async (request, reply) =>
      answering(reply, async () => reply.code(202).send(await webhooks.redeliver(request.params.id))),
  );
  return Promise.resolve();
}
