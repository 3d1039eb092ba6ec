/**
 * The health endpoint of a participant (node:http only):
 *
 *   GET /health   200 {"status":"ok","checks":{"<name>":{"status":"ok"},...}}, or 503 with "status":"failing",
 *                 the failing checks' names under "failing" and each failing check's code and message
 *   GET /metrics  200, the participant's metrics in Prometheus' text format
 *
 * Anything else is 404 (unknown path) or 405 (another method). Every check runs at each request, all at once,
 * each bounded by `checkTimeoutMs`: a check that throws or does not answer in time fails.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { ConfigError, ErrorCode, schemaIssues } from "../errors";
import { redactText } from "./redact";

/** One check: returns (or resolves) when the part is usable, throws (or rejects, or times out) when it is not. */
export type HealthCheck = () => unknown;

export const HealthServerConfigSchema = z
  .object({
    /** TCP port; 0 takes any free one (see `HealthServer.port`). */
    port: z.number().int().min(0).max(65_535).default(0),
    host: z.string().min(1).default("127.0.0.1"),
    /** How long one check may take before it counts as failing. */
    checkTimeoutMs: z.number().int().min(1).max(60_000).default(2_000),
  })
  .strict();
export type HealthServerConfigInput = z.input<typeof HealthServerConfigSchema>;
export type HealthServerConfig = z.output<typeof HealthServerConfigSchema>;

export interface HealthSources {
  checks: Readonly<Record<string, HealthCheck>>;
  /** The metrics text and its content type. */
  metrics: () => Promise<{ contentType: string; text: string }>;
}

export type CheckResult = { status: "ok" } | { status: "failing"; code: string; message: string };

export interface HealthReport {
  status: "ok" | "failing";
  checks: Record<string, CheckResult>;
  failing?: string[];
}

/** A check that is not done in `ms` milliseconds. */
class CheckTimeout extends Error {
  readonly code = "TIMEOUT";
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout(timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(check), timeout]);
    return { status: "ok" };
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    return {
      status: "failing",
      code: typeof code === "string" ? code : "ERROR",
      message: redactText(typeof message === "string" ? message : String(error)).split("\n")[0],
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check at once and reports them (`failing` lists the names of the failing ones). */
export async function healthReport(
  checks: Readonly<Record<string, HealthCheck>>,
  timeoutMs: number,
): Promise<HealthReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name], timeoutMs)));
  const report: HealthReport = { status: "ok", checks: Object.fromEntries(names.map((n, i) => [n, results[i]])) };
  const failing = names.filter((_, i) => results[i].status !== "ok");
  return failing.length === 0 ? report : { ...report, status: "failing", failing };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown): void =>
  send(res, status, "application/json", JSON.stringify(body));

export class HealthServer {
  readonly config: HealthServerConfig;
  readonly #server: Server;
  readonly #sources: HealthSources;

  private constructor(config: HealthServerConfig, sources: HealthSources) {
    this.config = config;
    this.#sources = sources;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  /** Validates `input` and listens; resolves once the port is bound. */
  static async start(input: HealthServerConfigInput, sources: HealthSources): Promise<HealthServer> {
    const parsed = HealthServerConfigSchema.safeParse(input);
    if (!parsed.success) {
      throw new ConfigError(ErrorCode.ConfigInvalid, "invalid health server configuration", {
        issues: schemaIssues(parsed.error),
      });
    }
    const server = new HealthServer(parsed.data, sources);
    await new Promise<void>((resolve, reject) => {
      server.#server.once("error", reject);
      server.#server.listen(parsed.data.port, parsed.data.host, () => {
        server.#server.off("error", reject);
        resolve();
      });
    });
    return server;
  }

  /** The port listened on (the one the system chose when configured with 0). */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** `http://host:port`. */
  get url(): string {
    return `http://${this.config.host}:${this.port}`;
  }

  /** Stops listening and ends open connections. */
  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#server.close((error) => (error === undefined ? resolve() : reject(error)));
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (path !== "/health" && path !== "/metrics") return json(res, 404, { error: { code: "NOT_FOUND", path } });
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("Allow", "GET, HEAD");
        return json(res, 405, { error: { code: "METHOD_NOT_ALLOWED", method: req.method } });
      }
      if (path === "/metrics") {
        const { contentType, text } = await this.#sources.metrics();
        return send(res, 200, contentType, text);
      }
      const report = await healthReport(this.#sources.checks, this.config.checkTimeoutMs);
      json(res, report.status === "ok" ? 200 : 503, report);
    } catch {
      if (!res.headersSent) json(res, 500, { error: { code: "INTERNAL" } });
      else res.destroy();
    }
  }
}
