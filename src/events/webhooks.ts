/**
 * `WebhookDispatcher`: sends each enqueued delivery to its subscription's URL as a Standard Webhooks request
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`, signed with the subscription's `whsec_` secret read from
 * its environment variable or file at each attempt, never logged), retries a failed one on the configured schedule
 * with jitter, and then leaves it as a dead letter for `redeliver`. Every attempt of a delivery carries the same
 * `webhook-id`, so a receiver drops repeats by id. A process killed mid-delivery leaves the delivery pending: the
 * next dispatcher sends it again under that id.
 */
import { Webhook } from "standardwebhooks";
import { readSecret } from "../core";
import { EventsError } from "./errors";
import { parseEventsConfig, WebhookConfigSchema, type WebhookConfig, type WebhookConfigInput } from "./config";
import type { EventStore } from "./store";
import { eventView } from "./view";
import { WebhookStore, type Delivery } from "./webhook-store";

export interface WebhookDispatcherOptions {
  config?: WebhookConfigInput;
  /** Wall clock in Unix milliseconds (default `Date.now`). */
  now?: () => number;
  /** Uniform random numbers in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
  /** Where `{ env }` secrets are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Told of an error of the dispatch loop itself (a store away); the loop goes on. */
  onError?: (error: unknown) => void;
}

/** One attempt's outcome. */
interface Outcome {
  ok: boolean;
  status: number | null;
  error: string;
}

export class WebhookDispatcher {
  readonly webhooks: WebhookStore;
  readonly config: WebhookConfig;
  readonly #events: EventStore;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #onError: (error: unknown) => void;
  #pass: Promise<number> | null = null;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #wake: (() => void) | null = null;
  /** Set when events were recorded since the last pass began: the loop runs again instead of waiting. */
  #poked = false;
  #loop: Promise<void> | null = null;
  #unsubscribe: () => void = () => undefined;

  constructor(events: EventStore, options: WebhookDispatcherOptions = {}) {
    this.config = parseEventsConfig(WebhookConfigSchema, options.config, "webhook");
    this.#events = events;
    this.webhooks = new WebhookStore(events.storage);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#env = options.env ?? process.env;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Attempts every delivery due now (up to the batch size); resolves with how many it attempted. */
  runOnce(): Promise<number> {
    this.#pass ??= this.#attemptDue().finally(() => {
      this.#pass = null;
    });
    return this.#pass;
  }

  async #attemptDue(): Promise<number> {
    const due = await this.webhooks.due(this.#now(), this.config.batchSize);
    await Promise.all(due.map((d) => this.#attempt(d)));
    return due.length;
  }

  async #attempt(delivery: Delivery): Promise<void> {
    const attempts = delivery.attempts + 1;
    // A subscription deleted meanwhile, or a store away: the attempt failed, and the schedule decides what next.
    const outcome = await this.#send(delivery).catch((error: unknown): Outcome => ({
      ok: false,
      status: null,
      error: (error as Error).message,
    }));
    if (outcome.ok) {
      await this.webhooks.delivered(delivery.id, outcome.status!, attempts, new Date(this.#now()));
      return;
    }
    const wait = this.config.retryScheduleMs[attempts - 1];
    const jitter = 1 + this.config.jitter * (2 * this.#random() - 1);
    await this.webhooks.failed(delivery.id, {
      attempts,
      nextAttemptAt: wait === undefined ? null : this.#now() + Math.round(wait * jitter),
      status: outcome.status,
      error: outcome.error,
    });
  }

  async #send(delivery: Delivery): Promise<Outcome> {
    const [subscription, event] = await Promise.all([
      this.webhooks.subscription(delivery.subscriptionId),
      this.#events.get(delivery.eventSeq),
    ]);
    if (event === undefined) return { ok: false, status: null, error: `event ${delivery.eventSeq} is not recorded` };
    let secret: string;
    try {
      secret = readSecret(
        subscription.secret,
        (cause) =>
          new EventsError("EVENTS_SECRET_UNAVAILABLE", `the secret of ${subscription.id} is not available`, {}, cause),
        this.#env,
      );
    } catch (error) {
      return { ok: false, status: null, error: (error as Error).message };
    }
    if (!secret.startsWith("whsec_")) {
      return { ok: false, status: null, error: `the secret of ${subscription.id} is not a whsec_ secret` };
    }
    const at = new Date(this.#now());
    const body = JSON.stringify({ type: event.type, timestamp: event.recordedAt, data: eventView(event) });
    try {
      const signature = new Webhook(secret).sign(delivery.id, at, body);
      const response = await fetch(subscription.url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(this.config.timeoutMs),
        headers: {
          "content-type": "application/json",
          "webhook-id": delivery.id,
          "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
          "webhook-signature": signature,
        },
        body,
      });
      await response.arrayBuffer().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      return { ok, status: response.status, error: ok ? "" : `HTTP ${response.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { ok: false, status: null, error: cause?.code ?? (error as Error).name };
    }
  }

  /** Sends a delivery again under its own id (a dead letter, or one delivered already) as soon as possible. */
  async redeliver(id: string): Promise<Delivery> {
    const delivery = await this.webhooks.redeliver(id, this.#now());
    this.#poke();
    return delivery;
  }

  /** Starts dispatching: at once when events are recorded, else every poll interval or when a retry is due. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.#events.onRecorded(() => this.#poke());
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#poked = false;
      let attempted = 0;
      try {
        attempted = await this.runOnce();
      } catch (error) {
        this.#onError(error);
      }
      if (!this.#running) break;
      if (attempted >= this.config.batchSize || this.#poked) continue;
      const next = await this.webhooks.nextDueAt().catch(() => undefined);
      const wait = Math.max(0, Math.min(this.config.pollIntervalMs, (next ?? Infinity) - this.#now()));
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, wait);
      });
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#wake = null;
    }
  }

  #poke(): void {
    this.#poked = true;
    this.#wake?.();
  }

  /** Stops the loop once the attempts under way have finished. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe();
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
  }
}
