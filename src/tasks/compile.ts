/**
 * Tasks load modules that need the contracts' artifacts and TypeChain bindings at run time (the participant,
 * the demo, revert decoding). On a fresh clone neither exists yet, so every task first makes sure they do:
 * nothing happens when both are there; otherwise the contracts are compiled (with the bindings regenerated
 * in full when only they are missing). The compiler's messages go to stderr, so `--json` output stays one
 * document on stdout.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { TASK_COMPILE } from "hardhat/builtin-tasks/task-names";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** A contract every task's bindings include; its artifact stands for the whole build. */
const PROBE_CONTRACT = "SettlementEngine";

/** True when the artifacts and the TypeChain bindings the tasks load are both present. */
export async function isCompiled(hre: HardhatRuntimeEnvironment): Promise<boolean> {
  return (await hre.artifacts.artifactExists(PROBE_CONTRACT)) && bindingsPresent(hre);
}

function bindingsPresent(hre: HardhatRuntimeEnvironment): boolean {
  return existsSync(path.join(hre.config.paths.root, hre.config.typechain.outDir, "index.ts"));
}

/** Compiles the contracts and generates their bindings unless both are already present. */
export async function ensureCompiled(hre: HardhatRuntimeEnvironment): Promise<void> {
  if (await isCompiled(hre)) return;
  process.stderr.write("Compiling the contracts and generating their TypeChain bindings (first run only)\n");
  const log = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
  try {
    await hre.run(TASK_COMPILE, { quiet: true, force: !bindingsPresent(hre) });
  } finally {
    console.log = log;
  }
}
