/**
 * Helpers for task tests: run a task and capture what it prints, assert the one-line error a task fails
 * with, move the clock, and isolate each test file's chain changes in an EVM snapshot.
 */
import { expect } from "chai";
import hre from "hardhat";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PLUGIN_NAME, TaskError } from "../../src/tasks";

export const DEMO_CONFIG = "deploy/consortia/demo.json";

/** Signer indexes of the demo configuration. */
export const SIGNER = { deployer: "0", alpha: "1", beta: "3", gamma: "5" } as const;

/** `settlement:instruct` flags of a DvP: Beta Bank delivers `bonds` B30 to Alpha Bank for `cash` aEUR. */
export const dvpFlags = (tradeRef: string, bonds = "5", cash = "500.00") => ({
  tradeRef,
  kind: "dvp",
  seller: "Beta Bank",
  buyer: "Alpha Bank",
  asset: "B30",
  assetAmount: bonds,
  cash: "aEUR",
  cashAmount: cash,
});

/** Runs `fn` while collecting everything written to stdout. */
export async function captureStdout<T>(fn: () => Promise<T>): Promise<{ result: T; stdout: string }> {
  const original = process.stdout.write.bind(process.stdout);
  let stdout = "";
  const capture = (chunk: string | Uint8Array): boolean => {
    stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  };
  process.stdout.write = capture;
  try {
    return { result: await fn(), stdout };
  } finally {
    process.stdout.write = original;
  }
}

/** Runs a task with `--json`; asserts stdout is exactly one JSON document equal to the returned result. */
export async function runJson<T = Record<string, unknown>>(
  name: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const { result, stdout } = await captureStdout(() => hre.run(name, { ...args, json: true }) as Promise<unknown>);
  const parsed = JSON.parse(stdout) as T;
  expect(parsed).to.deep.equal(result);
  return parsed;
}

/** Runs a task with human output and returns what it printed. */
export async function runHuman(name: string, args: Record<string, unknown> = {}): Promise<string> {
  return (await captureStdout(() => hre.run(name, { ...args, json: false }))).stdout;
}

/** Asserts that a task fails with a one-line `TaskError` of `code` whose message matches `message`. */
export async function expectTaskError(run: Promise<unknown>, code: string, message?: RegExp): Promise<TaskError> {
  let caught: unknown;
  try {
    await captureStdout(() => run);
  } catch (error) {
    caught = error;
  }
  expect(caught, "the task should have failed").to.be.instanceOf(TaskError);
  const error = caught as TaskError;
  expect(error.code).to.equal(code);
  expect(error.pluginName).to.equal(PLUGIN_NAME);
  expect(error.message).to.not.include("\n");
  expect(error.message.startsWith(`${code}: `)).to.equal(true);
  if (message !== undefined) expect(error.message).to.match(message);
  return error;
}

/** Moves the chain's clock forward by `seconds` and mines a block. */
export async function increaseTime(seconds: number): Promise<void> {
  await hre.network.provider.request({ method: "evm_increaseTime", params: [seconds] });
  await hre.network.provider.request({ method: "evm_mine", params: [] });
}

/** Takes an EVM snapshot before the file's tests and reverts to it after them. */
export function isolateChain(): void {
  let snapshot: string;
  before(async () => {
    snapshot = (await hre.network.provider.request({ method: "evm_snapshot", params: [] })) as string;
  });
  after(async () => {
    await hre.network.provider.request({ method: "evm_revert", params: [snapshot] });
  });
}

const tempDirs: string[] = [];

// Root-level hook: the temporary directories of every test file go when the run ends.
after(async function () {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temporary directory, removed when the test run ends. */
export async function tempDir(prefix = "consortium-test-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Writes `config` as JSON into a fresh temporary directory and returns the file's path. */
export async function writeTempConfig(config: unknown, name = "consortium.json"): Promise<string> {
  const dir = await tempDir();
  const file = path.join(dir, name);
  await writeFile(file, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  return file;
}
