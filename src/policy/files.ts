/**
 * Reading a built policy from disk: the `policy.wasm` and `data.json` that scripts/build-policy.sh
 * extracts from the bundle. Signature checks and activation belong to the policy engine, not here.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { PolicyLoadError } from "./errors";
import { WasmPolicy } from "./wasm";

/** The contents of a built policy directory. */
export interface PolicyFiles {
  wasm: Uint8Array;
  data: unknown;
}

/** Reads `policy.wasm` and `data.json` from `dir`; a missing or malformed file is a `PolicyLoadError`. */
export async function readPolicyFiles(dir: string): Promise<PolicyFiles> {
  let wasm: Uint8Array;
  let dataText: string;
  try {
    wasm = await readFile(path.join(dir, "policy.wasm"));
    dataText = await readFile(path.join(dir, "data.json"), "utf8");
  } catch (error) {
    throw new PolicyLoadError(`cannot read policy.wasm and data.json in ${dir}`, error);
  }
  try {
    return { wasm, data: JSON.parse(dataText) as unknown };
  } catch (error) {
    throw new PolicyLoadError(`data.json in ${dir} is not JSON`, error);
  }
}

/** Loads the policy built into `dir` (once; evaluate the returned policy many times). */
export async function loadPolicyFromDirectory(dir: string): Promise<WasmPolicy> {
  const { wasm, data } = await readPolicyFiles(dir);
  return WasmPolicy.load(wasm, data);
}
