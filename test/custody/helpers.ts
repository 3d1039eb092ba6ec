/**
 * Shared helpers of the custody tests: assert a typed custody error by code, fresh temporary folders removed
 * after the run, well-known test mnemonics, and configurations to start from.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FrameworkError } from "../../src/errors";

/** The BIP39 test mnemonic: m/44'/60'/0'/0/0 is 0x9858EfFD232B4033E47d90003D41EC34EcaEda94. */
export const ABANDON_MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
/** Hardhat's default mnemonic: its network's accounts are m/44'/60'/0'/0/0..19, funded on the in-process chain. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** Asserts that `run` throws (or rejects with) a `FrameworkError` of `code`; returns it for further checks. */
export async function expectCode(run: (() => unknown) | Promise<unknown>, code: string): Promise<FrameworkError> {
  let caught: unknown;
  try {
    await (typeof run === "function" ? run() : run);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(FrameworkError);
  expect((caught as FrameworkError).code).to.equal(code);
  return caught as FrameworkError;
}

const dirs: string[] = [];

/** A fresh temporary folder, removed when the file's tests end (register with `cleanTempDirs`). */
export function tempFolder(prefix = "custody-test-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Registers the removal of every folder `tempFolder` made, after the current suite. */
export function cleanTempDirs(): void {
  after(function () {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh environment variable name holding `value` (deleted again with `dropEnv`). */
export function envWith(value: string): string {
  const name = `CUSTODY_TEST_${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
  process.env[name] = value;
  return name;
}

export function dropEnv(name: string): void {
  delete process.env[name];
}
