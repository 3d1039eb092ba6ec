/**
 * The project's structured logger: pino, one JSON object a line on stderr (stdout stays the commands' own),
 * with every secret redacted before a line is written (./redact.ts): secret-named fields at any depth, URL
 * passwords in any string and in the message. Errors are logged under `err` with their code and details.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { redactText, redactValue } from "./redact";

export type { Logger };

/** Levels a logger may be set to (pino's). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerSettings {
  /** Lowest level written; defaults to "info". */
  level?: LogLevel;
  /** Where lines go; defaults to stderr, written synchronously so no line is lost at exit. */
  destination?: DestinationStream;
  /** Fields on every line (a participant's id, a component name). */
  bindings?: Record<string, unknown>;
}

/** Creates a logger with the project's redaction, level and destination. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name: "consortium",
    level: settings.level ?? "info",
    base: { pid: process.pid, ...settings.bindings },
    // Redaction runs on the merged object of every line, errors included, at any depth.
    formatters: {
      log: (object) => redactValue(object) as Record<string, unknown>,
      bindings: (bindings) => redactValue(bindings) as Record<string, unknown>,
    },
    serializers: { err: (error: unknown) => redactValue(error) },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((a) => (typeof a === "string" ? redactText(a) : a)) as Parameters<typeof method>;
        method.apply(this, redacted);
      },
    },
  };
  return redactingChildren(pino(options, settings.destination ?? pino.destination({ dest: 2, sync: true })));
}

/** pino gives a child logger no bindings formatter: its bindings are redacted here, and so are its children's. */
function redactingChildren(log: Logger): Logger {
  const child = log.child.bind(log) as unknown as (bindings: Record<string, unknown>, options?: object) => Logger;
  const redacting = (bindings: Record<string, unknown>, options?: object): Logger =>
    redactingChildren(child(redactValue(bindings) as Record<string, unknown>, options));
  log.child = redacting as unknown as Logger["child"];
  return log;
}

let shared: Logger | undefined;

/** The process's logger (created on first use, on stderr at level "info"). */
export function logger(): Logger {
  shared ??= createLogger();
  return shared;
}
