/**
 * Shared pieces of the events tests: a real HTTP receiver that records every webhook request and answers with the
 * status the test sets (or is not listening at all), Standard Webhooks secrets, and synthetic chain events recorded
 * straight into an event store (block n, one log each) for tests that need no chain.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hexlify, randomBytes as ethRandom } from "ethers";
import { chainEventId, type ChainEvent, type EventStore, type NewChainEvent } from "../../src/events";

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1: `status` answers each request; `onRequest` sees it first. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  status = 200;
  onRequest: (request: ReceivedRequest) => void = () => undefined;
  #server: Server | null = null;
  #port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  /** Listens (on the port it had before, when it had one). */
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        const request = { headers: req.headers, body };
        this.requests.push(request);
        this.onRequest(request);
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.#port, "127.0.0.1", resolve));
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening: connections are refused until `up` again. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The webhook-ids seen, per event id (from the signed body). */
  idsByEvent(): Map<string, Set<string>> {
    const ids = new Map<string, Set<string>>();
    for (const r of this.requests) {
      const event = (JSON.parse(r.body) as { data: { id: string } }).data.id;
      ids.set(event, (ids.get(event) ?? new Set()).add(String(r.headers["webhook-id"])));
    }
    return ids;
  }
}

/** A fresh Standard Webhooks secret. */
export function newSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** A synthetic event of `type` in block `n` (the block hash is random, so every call is a new event). */
export function syntheticEvent(n: number, type = "SettlementInstructed"): NewChainEvent {
  const blockHash = hexlify(ethRandom(32));
  return {
    id: chainEventId("event", 31337, blockHash, 0),
    kind: "event",
    type,
    chainId: 31337,
    blockNumber: n,
    blockHash,
    logIndex: 0,
    txHash: hexlify(ethRandom(32)),
    contract: "SettlementEngine",
    address: "0x0000000000000000000000000000000000000001",
    subject: `0x${n.toString(16).padStart(64, "0")}`,
    data: { n: String(n) },
    own: false,
    decisionSeq: null,
    signatureSeq: null,
  };
}

/** Records `events` as the follower would, each in a block of its own, moving the position to the last one. */
export async function recordSynthetic(store: EventStore, events: readonly NewChainEvent[]): Promise<ChainEvent[]> {
  const last = events[events.length - 1];
  return store.record(
    "chain",
    { chainId: 31337, blockNumber: last.blockNumber, blockHash: last.blockHash, logIndex: 0 },
    events,
  );
}
