/**
 * One bank's events stack from one configuration, validated once: the event store (a SQLite `path` or a
 * `postgres` location), the follower of the bank's participant, the webhook dispatcher and the stream settings;
 * `start` runs the follower and the dispatcher, `close` stops them and closes the store. What `eventRoutes` serves.
 */
import { z } from "zod";
import { exactlyOneLocation, storageLocationFields } from "../storage";
import { FollowerConfigSchema, parseEventsConfig, StreamConfigSchema, WebhookConfigSchema } from "./config";
import { ChainFollower, type FollowedParticipant } from "./follower";
import type { EventServices } from "./routes";
import { EventStore } from "./store";
import { WebhookDispatcher, type WebhookDispatcherOptions } from "./webhooks";

export const EventsConfigSchema = z
  .object({
    ...storageLocationFields,
    follower: FollowerConfigSchema.default({}),
    webhooks: WebhookConfigSchema.default({}),
    stream: StreamConfigSchema.default({}),
  })
  .strict()
  .refine(...exactlyOneLocation);
export type EventsConfig = z.output<typeof EventsConfigSchema>;
export type EventsConfigInput = z.input<typeof EventsConfigSchema>;

/** The running stack. */
export interface BankEvents extends EventServices {
  follower: ChainFollower;
  /** Starts following and dispatching. */
  start(): void;
  /** Stops both, once their rounds under way have finished, and closes the store. */
  close(): Promise<void>;
}

/** Opens `participant`'s events stack; `onError` hears of failed rounds of the follower and the dispatcher. */
export async function openBankEvents(
  participant: FollowedParticipant,
  input: EventsConfigInput,
  options: Pick<WebhookDispatcherOptions, "env" | "onError"> = {},
): Promise<BankEvents> {
  const config = parseEventsConfig(EventsConfigSchema, input, "events");
  const store = await EventStore.open({ path: config.path, postgres: config.postgres });
  try {
    const follower = await ChainFollower.forParticipant(participant, store, {
      config: config.follower,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
    const webhooks = new WebhookDispatcher(store, { ...options, config: config.webhooks });
    return {
      store,
      webhooks,
      follower,
      stream: config.stream,
      start() {
        follower.start();
        webhooks.start();
      },
      async close() {
        await follower.stop();
        await webhooks.stop();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
