/**
 * Typed errors of the chain follower, its event store, the webhook dispatcher and the live stream: `FrameworkError`s
 * with a stable EVENTS_* `code` and structured details (ids, positions, where a secret should be; never a secret).
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error this module raises (the EVENTS_* members of `ErrorCode`). */
export type EventsErrorCode = Extract<ErrorCode, `EVENTS_${string}`>;

/** Base class of every events error. Branch with `isFrameworkError(error, code)`. */
export class EventsError extends FrameworkError<EventsErrorCode> {}

/** A subscription id that names no subscription (never made, or deleted). */
export class EventsSubscriptionNotFoundError extends EventsError {
  constructor(readonly subscriptionId: string) {
    super("EVENTS_SUBSCRIPTION_NOT_FOUND", `no webhook subscription ${subscriptionId}`, { subscriptionId });
  }
}

/** A delivery id that names no delivery. */
export class EventsDeliveryNotFoundError extends EventsError {
  constructor(readonly deliveryId: string) {
    super("EVENTS_DELIVERY_NOT_FOUND", `no webhook delivery ${deliveryId}`, { deliveryId });
  }
}

/** A stream or list cursor that is not an event sequence number. */
export class EventsCursorInvalidError extends EventsError {
  constructor(readonly cursor: string) {
    super("EVENTS_CURSOR_INVALID", `event cursor ${JSON.stringify(cursor)} is not a non-negative integer`, {
      cursor,
    });
  }
}

/** The follower's stored position does not fit the chain it is pointed at (another chain, or another block). */
export class EventsChainMismatchError extends EventsError {
  constructor(what: string, expected: string, found: string) {
    super("EVENTS_CHAIN_MISMATCH", `the event store follows ${what} ${expected}, the node answers ${found}`, {
      what,
      expected,
      found,
    });
  }
}
