/**
 * The live stream as Server-Sent Events: from the cursor the client gives (the `Last-Event-ID` its EventSource
 * sends when it reconnects, or `?after=`), every stored event after it, page by page, then each new one as it is
 * recorded. Each message's `id` is the event's seq, so a client that reconnects resumes exactly where it stopped.
 * The store is read again on every recording in this process and at every heartbeat (a follower in another process).
 */
import type { ServerResponse } from "node:http";
import type { StreamConfig } from "./config";
import { EventsCursorInvalidError } from "./errors";
import type { EventStore } from "./store";
import { eventView } from "./view";

export interface StreamRequest {
  /** Only events with a seq above this. */
  after: number;
  types?: readonly string[];
  /** Ends the stream (the server is closing). */
  signal?: AbortSignal;
}

/** The cursor a client gave, as a seq: `Last-Event-ID` first, then `after`, else 0 (everything). */
export function streamCursor(lastEventId: string | undefined, after: string | number | undefined): number {
  const given = lastEventId ?? (after === undefined ? undefined : String(after));
  if (given === undefined || given === "") return 0;
  if (!/^\d{1,15}$/.test(given)) throw new EventsCursorInvalidError(given);
  return Number(given);
}

/** Writes the stream to `out` (headers included) until the client goes away or `request.signal` aborts. */
export async function streamEvents(
  store: EventStore,
  out: ServerResponse,
  request: StreamRequest,
  config: StreamConfig,
): Promise<void> {
  out.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  out.write(": stream open\n\n");
  let last = request.after;
  let closed = false;
  let dirty = true;
  let wake: (() => void) | null = null;
  const poke = (): void => {
    dirty = true;
    wake?.();
  };
  const unsubscribe = store.onRecorded(poke);
  const close = (): void => {
    closed = true;
    wake?.();
  };
  out.on("close", close);
  request.signal?.addEventListener("abort", close);
  if (request.signal?.aborted === true) close();
  const heartbeat = setInterval(() => {
    out.write(": keep-alive\n\n");
    poke();
  }, config.heartbeatMs);
  try {
    while (!closed) {
      if (!dirty) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      dirty = false;
      for (;;) {
        const page = await store.list({ after: last, types: request.types, limit: config.pageSize });
        for (const e of page) {
          out.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(eventView(e))}\n\n`);
          last = e.seq;
        }
        if (page.length < config.pageSize || closed) break;
      }
    }
  } finally {
    clearInterval(heartbeat);
    unsubscribe();
    request.signal?.removeEventListener("abort", close);
    out.end();
  }
}
