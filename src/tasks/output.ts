/**
 * Task output: human-readable lines and tables by default; with `--json`, nothing but one JSON document on
 * stdout, printed when the task finishes. Either way the task returns the same JSON-safe result, so
 * `hre.run(...)` callers get what `--json` prints.
 */
import { jsonSafe } from "../errors";

export interface Output {
  readonly json: boolean;
  /** A line of human output (dropped in JSON mode). */
  line(text?: string): void;
  /** An aligned table of human output (dropped in JSON mode). */
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void;
  /** Ends the task: prints the JSON document in JSON mode, and returns the JSON-safe result. */
  result<T>(value: T): T;
}

export type Writer = (text: string) => void;

const stdout: Writer = (text) => {
  process.stdout.write(text);
};

export function createOutput(json: boolean, write: Writer = stdout): Output {
  return {
    json,
    line(text = "") {
      if (!json) write(`${text}\n`);
    },
    table(headers, rows) {
      if (!json) write(formatTable(headers, rows));
    },
    result<T>(value: T): T {
      const safe = jsonSafe(value) as T;
      if (json) write(`${JSON.stringify(safe, null, 2)}\n`);
      return safe;
    },
  };
}

/** A plain-text table with a header rule; columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return `${[render(headers), rule, ...rows.map(render)].join("\n")}\n`;
}

/** `2025-01-31 14:05:00 UTC` for a unix timestamp in seconds (or "-" for 0). */
export function formatTime(seconds: number): string {
  if (seconds === 0) return "-";
  return `${new Date(seconds * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "")} UTC`;
}

/** `1d 2h`, `2h`, `90s` for a duration in seconds. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const units: [number, string][] = [
    [86400, "d"],
    [3600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, unit] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ");
}

/** `0x1234…abcd` for long hex strings. */
export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex;
}
