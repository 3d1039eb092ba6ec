// Shared set-up of the policy tests: builds the real policy with scripts/build-policy.sh (fmt, check,
// opa test with coverage, then Wasm) once per run, and compiles throw-away policies for failure modes.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { IntentInput } from "../../src/policy";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "..", "..");

/** The OPA CLI: OPA_BIN, else $(go env GOPATH)/bin/opa. */
export async function opaBinary(): Promise<string> {
  if (process.env.OPA_BIN) return process.env.OPA_BIN;
  const { stdout } = await run("go", ["env", "GOPATH"]);
  return path.join(stdout.trim(), "bin", "opa");
}

let built: Promise<string> | undefined;
const tempDirs: string[] = [];

/** A fresh temporary directory, removed when the whole test run ends. */
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

// A root-level hook (this module is loaded once per run): remove every directory made above.
after(async function () {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Runs scripts/build-policy.sh into a fresh temporary directory (once) and returns that directory. */
export function buildBankPolicy(): Promise<string> {
  built ??= (async () => {
    const out = await tempDir("bank-policy-");
    await run("bash", [path.join(ROOT, "scripts", "build-policy.sh"), out], {
      cwd: ROOT,
      env: { ...process.env, OPA_BIN: await opaBinary() },
    });
    return out;
  })();
  return built;
}

/** Compiles a one-file Rego policy to Wasm with the decision entry point and returns its bytes. */
export async function compileRego(source: string): Promise<Uint8Array> {
  const dir = await tempDir("policy-fixture-");
  await writeFile(path.join(dir, "policy.rego"), source);
  const bundle = path.join(dir, "bundle.tar.gz");
  await run(
    await opaBinary(),
    ["build", "-t", "wasm", "-e", "settlement/policy/decision", "policy.rego", "-o", bundle],
    {
      cwd: dir,
    },
  );
  await run("tar", ["-xzf", bundle, "-C", dir]);
  return readFile(path.join(dir, "policy.wasm"));
}

/** Friday 2025-11-21 10:00 UTC: 11:00 at the example bank (UTC+1), inside business hours. */
export const FRIDAY_11H = 1_763_719_200;
export const HOUR = 3600;
export const DAY = 86_400;

/** The example bank's data (policies/bank/data.json): an active counterparty with EURT limits. */
export const BANK_B = "529900T8BM49AURSDO55";

/** A settlement the example bank allows as it stands. */
export function baseIntent(patch: Partial<IntentInput> = {}): IntentInput {
  return {
    action: "settle",
    intent_id: "intent-0001",
    initiator: { id: "u-alice", roles: ["trader"] },
    counterparty: BANK_B,
    asset: "EURT",
    amount: "25000000",
    exposure_used: "0",
    time_unix: FRIDAY_11H,
    aml: "clear",
    key_tier: "hot",
    approvals: [],
    ...patch,
  };
}

/** Approvers with one role each. */
export function approvers(ids: readonly string[], role: string): { id: string; roles: string[] }[] {
  return ids.map((id) => ({ id, roles: [role] }));
}
