/**
 * What the benchmarks share: knobs read from the environment, the file system a measurement wrote to (so a
 * tmpfs is never mistaken for a disk), and number formatting for their tables.
 */
import { readFile } from "node:fs/promises";

/** A positive integer from environment variable `name`, or `fallback` when unset. */
export function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** The file system type of the mount holding `dir` (from /proc/mounts; "unknown" elsewhere). */
export async function fsType(dir: string): Promise<string> {
  try {
    const mounts = (await readFile("/proc/mounts", "utf8")).split("\n").map((l) => l.split(" "));
    const hits = mounts.filter(
      ([, at]) => at !== undefined && (dir === at || at === "/" || dir.startsWith(at.endsWith("/") ? at : `${at}/`)),
    );
    hits.sort((a, b) => b[1].length - a[1].length);
    return hits.length > 0 ? `${hits[0][2]} (${hits[0][0]} on ${hits[0][1]})` : "unknown";
  } catch {
    return "unknown";
  }
}

/** `x` with `digits` decimals. */
export const f = (x: number, digits = 1): string => x.toFixed(digits);
/** `x` rounded, with thousands separators. */
export const k = (x: number): string => Math.round(x).toLocaleString("en-US");
