/**
 * What the HSM signer reports for monitoring, on the `node:diagnostics_channel` channel `consortium.hsm`: every
 * failed PKCS#11 operation, as a `retry` (the session is recovered and the operation tried again) or an `error`
 * (given up, or not recoverable). Publishing costs nothing when nobody subscribes.
 */
import { channel } from "node:diagnostics_channel";

export const HSM_EVENTS_CHANNEL = "consortium.hsm";

export interface HsmEvent {
  /** Label of the token the operation ran on. */
  tokenLabel: string;
  kind: "retry" | "error";
  /** The framework error code, or the PKCS#11 return value's name (CKR_...), or "unknown". */
  code: string;
}

const hsmChannel = channel(HSM_EVENTS_CHANNEL);

/** Publishes one failed operation (see the module comment). */
export function reportHsmFailure(tokenLabel: string, kind: HsmEvent["kind"], error: unknown): void {
  if (!hsmChannel.hasSubscribers) return;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const ckr = typeof message === "string" ? /CKR_[A-Z_]+/.exec(message)?.[0] : undefined;
  hsmChannel.publish({ tokenLabel, kind, code: typeof code === "string" ? code : (ckr ?? "unknown") });
}

/** Calls `listener` with every HSM event of the process; returns the function that stops it. */
export function onHsmEvent(listener: (event: HsmEvent) => void): () => void {
  const handler = (message: unknown): void => listener(message as HsmEvent);
  hsmChannel.subscribe(handler);
  return () => void hsmChannel.unsubscribe(handler);
}
