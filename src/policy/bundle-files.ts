/**
 * A policy bundle on disk: one directory holding `policy.wasm` (the module's bytes), `data.json` (the data
 * document), `manifest.json` (the signed fields) and `signatures.json` (an array of `{ signer, signature }`).
 * Reading checks only the shapes; `verifyBundle` decides whether the bundle may run.
 */
import { statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { bundleSignatureSchema, parseManifest, type PolicyBundle } from "./bundle";
import { PolicyBundleError } from "./bundle-errors";

/** The file names of a bundle directory. */
export const BUNDLE_FILES = {
  wasm: "policy.wasm",
  data: "data.json",
  manifest: "manifest.json",
  signatures: "signatures.json",
} as const;

/** Writes `bundle` into `dir` (created if absent; existing files are overwritten). */
export async function writeBundle(dir: string, bundle: PolicyBundle): Promise<void> {
  await mkdir(dir, { recursive: true });
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(path.join(dir, BUNDLE_FILES.wasm), bundle.wasm);
  await writeFile(path.join(dir, BUNDLE_FILES.data), json(bundle.data));
  await writeFile(path.join(dir, BUNDLE_FILES.manifest), json(bundle.manifest));
  await writeFile(path.join(dir, BUNDLE_FILES.signatures), json(bundle.signatures));
}

/**
 * Reads the bundle in `dir`. A directory or file that does not exist is POLICY_BUNDLE_NOT_FOUND (missing
 * input); one that exists but cannot be read or parsed is POLICY_BUNDLE_MALFORMED.
 */
export async function readBundle(dir: string): Promise<PolicyBundle> {
  let wasm: Uint8Array;
  try {
    wasm = await readFile(path.join(dir, BUNDLE_FILES.wasm));
  } catch (error) {
    throw unreadable(dir, BUNDLE_FILES.wasm, error);
  }
  const data = await readJson(dir, BUNDLE_FILES.data);
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new PolicyBundleError("POLICY_BUNDLE_MALFORMED", `${BUNDLE_FILES.data} in ${dir} is not a JSON object`, {
      dir,
    });
  }
  const manifest = parseManifest(await readJson(dir, BUNDLE_FILES.manifest));
  const signatures = z.array(bundleSignatureSchema).safeParse(await readJson(dir, BUNDLE_FILES.signatures));
  if (!signatures.success) {
    throw new PolicyBundleError("POLICY_BUNDLE_MALFORMED", `${BUNDLE_FILES.signatures} in ${dir} is malformed`, {
      dir,
    });
  }
  return { wasm, data: data as Record<string, unknown>, manifest, signatures: signatures.data };
}

async function readJson(dir: string, name: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path.join(dir, name), "utf8");
  } catch (error) {
    throw unreadable(dir, name, error);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new PolicyBundleError("POLICY_BUNDLE_MALFORMED", `cannot read ${name} in ${dir} as JSON`, { dir }, error);
  }
}

/**
 * The error for a bundle file that could not be read: POLICY_BUNDLE_NOT_FOUND when the bundle directory itself
 * does not exist (a missing input), POLICY_BUNDLE_MALFORMED when the directory is there but incomplete or
 * unreadable.
 */
function unreadable(dir: string, name: string, error: unknown): PolicyBundleError {
  if (!isDirectory(dir)) {
    return new PolicyBundleError(
      "POLICY_BUNDLE_NOT_FOUND",
      `no policy bundle at ${dir}: no such directory`,
      { dir },
      error,
    );
  }
  const missing = (error as { code?: unknown }).code === "ENOENT";
  const reason = missing ? "no such file" : error instanceof Error ? error.message : String(error);
  return new PolicyBundleError("POLICY_BUNDLE_MALFORMED", `cannot read ${name} in ${dir}: ${reason}`, { dir }, error);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
