/**
 * The HTTP edge of the module (node:http only): `POST /v1/sign` with `Content-Type: application/jose` and a
 * compact JWE body answers 200 with a compact JWS (`application/jose`); `GET /v1/health` answers 200 JSON.
 * Errors answer `{"error":{"code","message","jti"?}}` (JSON, unsigned, informational only), with the status the
 * framework's table gives the code (`ERROR_STATUS` in src/errors, read through `rsmHttpStatus`); 5xx answers
 * never carry internal messages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { httpStatus, isFrameworkError } from "../errors";
import { RsmRequestError } from "./errors";
import { HEALTH_PATH, RSM_CONTENT_TYPE, SIGN_PATH } from "./protocol";
import type { RemoteSigningModule } from "./service";

/** The HTTP status of a refusal: its code's status in the framework's table (`ERROR_STATUS`), else 500. */
export function rsmHttpStatus(error: unknown): number {
  return httpStatus(error);
}

function send(res: ServerResponse, status: number, type: string, body: string, close = false): void {
  res.writeHead(status, {
    "Content-Type": type,
    "Cache-Control": "no-store",
    ...(close ? { Connection: "close" } : {}),
  });
  res.end(body);
}

function refuse(res: ServerResponse, error: unknown, jti: string | undefined): void {
  const status = rsmHttpStatus(error);
  const code = isFrameworkError(error) && status !== 500 ? error.code : "UNEXPECTED";
  const message =
    status === 503
      ? "temporarily unavailable; retry with a new request id"
      : status >= 500 || !(error instanceof Error)
        ? "internal error"
        : error.message;
  const body = { code, message, ...(jti === undefined ? {} : { jti }) };
  send(res, status, "application/json", JSON.stringify({ error: body }), status === 408 || status === 413);
}

/** Reads the body up to `maxBytes` within `timeoutMs`; stops reading as soon as either limit is passed. */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error?: RsmRequestError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) return resolve(Buffer.concat(chunks).toString("utf8"));
      req.removeAllListeners("data");
      req.pause();
      reject(error);
    };
    const timer = setTimeout(
      () => finish(new RsmRequestError("RSM_REQUEST_TIMEOUT", `request body not received within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const tooLarge = () => new RsmRequestError("RSM_REQUEST_TOO_LARGE", `request body exceeds ${maxBytes} bytes`);
    if (Number(req.headers["content-length"] ?? 0) > maxBytes) return finish(tooLarge());
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(tooLarge());
      else chunks.push(chunk);
    });
    req.on("end", () => finish());
    req.on("error", (cause) => finish(new RsmRequestError("RSM_REQUEST_MALFORMED", "request aborted", {}, cause)));
  });
}

async function handle(module: RemoteSigningModule, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://rsm.invalid").pathname;
  if (path === HEALTH_PATH && req.method === "GET") {
    return send(res, 200, "application/json", JSON.stringify({ status: "ok", moduleId: module.config.moduleId }));
  }
  if (path !== SIGN_PATH && path !== HEALTH_PATH) {
    return refuse(res, new RsmRequestError("RSM_ROUTE_NOT_FOUND", `no route ${path}`), undefined);
  }
  let body: string;
  try {
    if (req.method !== "POST" || path !== SIGN_PATH) {
      res.setHeader("Allow", path === SIGN_PATH ? "POST" : "GET");
      throw new RsmRequestError("RSM_METHOD_NOT_ALLOWED", `${req.method ?? "?"} not allowed on ${path}`);
    }
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (type !== RSM_CONTENT_TYPE) {
      throw new RsmRequestError("RSM_CONTENT_TYPE_INVALID", `Content-Type must be ${RSM_CONTENT_TYPE}`);
    }
    const { maxBodyBytes, requestTimeoutMs } = module.config.limits;
    body = await readBody(req, maxBodyBytes, requestTimeoutMs);
  } catch (error) {
    await module.refused(error);
    return refuse(res, error, undefined);
  }
  const outcome = await module.sign(body.trim());
  if (outcome.ok) return send(res, 200, RSM_CONTENT_TYPE, outcome.response);
  refuse(res, outcome.error, outcome.jti);
}

/** A running module server. `close()` stops the server; the module is closed by its owner. */
export interface RsmServer {
  readonly server: Server;
  readonly port: number;
  /** Base URL, for example `http://127.0.0.1:41234`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts serving `module` on its configured host and port (port 0: an ephemeral port). */
export async function startRsmServer(module: RemoteSigningModule): Promise<RsmServer> {
  const { listen, limits } = module.config;
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    // Backstop only: the body timer in `readBody` answers 408 first and is audited.
    requestTimeout: limits.headersTimeoutMs + limits.requestTimeoutMs,
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    handle(module, req, res).catch((error: unknown) => {
      if (!res.headersSent) refuse(res, error, undefined);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
