/**
 * What the bank learns from the chain: a follower that records the consortium's events concerning the bank and
 * the receipts of its own transactions from a durable position, appends each to the bank's audit log linked to the
 * decision behind its transaction, delivers them as signed Standard Webhooks with retries and dead letters, and
 * serves them as a list and a live stream that resumes from a cursor.
 */
export {
  FollowerConfigSchema,
  StreamConfigSchema,
  WebhookConfigSchema,
  type FollowerConfig,
  type FollowerConfigInput,
  type StreamConfig,
  type StreamConfigInput,
  type WebhookConfig,
  type WebhookConfigInput,
} from "./config";
export { concernsBank, LogDecoder, type BankIdentity, type DecodedLog, type FollowedContracts } from "./decode";
export {
  EventsChainMismatchError,
  EventsCursorInvalidError,
  EventsDeliveryNotFoundError,
  EventsError,
  EventsSubscriptionNotFoundError,
  type EventsErrorCode,
} from "./errors";
export { ChainFollower, type ChainFollowerOptions, type FollowedParticipant } from "./follower";
export { eventRoutes, type EventRoutesContext, type EventServices } from "./routes";
export { EVENTS_SCHEMA } from "./rows";
export {
  EventsConfigSchema,
  openBankEvents,
  type BankEvents,
  type EventsConfig,
  type EventsConfigInput,
} from "./services";
export {
  chainEventId,
  EventStore,
  type ChainEvent,
  type EventListQuery,
  type FollowerPosition,
  type NewChainEvent,
} from "./store";
export { streamCursor, streamEvents, type StreamRequest } from "./stream";
export { eventView, type ChainEventView } from "./view";
export { deliveryId, WebhookStore, type Delivery, type NewSubscription, type Subscription } from "./webhook-store";
export { WebhookDispatcher, type WebhookDispatcherOptions } from "./webhooks";
