/**
 * Builds the installable package into dist/ (run by `npm run build:package` and by `npm pack` through `prepack`,
 * after `hardhat compile` has written the artifacts and the TypeChain bindings):
 *   dist/src/             the entry point (src/index.ts) and every module it reaches, JS and .d.ts
 *   dist/typechain-types/ the contract bindings (TypeChain, ethers v6), JS and .d.ts
 *   dist/abi/<Name>.json  the ABI of every consortium contract and interface (test doubles left out)
 * Hardhat tasks, the demo and the deployment code are not reachable from the entry and stay out.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..");
const DIST = path.join(ROOT, "dist");
const CONTRACT_ARTIFACTS = path.join(ROOT, "artifacts", "contracts");
/** Contracts used only by tests: no ABI of theirs is published. */
const TEST_DOUBLES = path.join(CONTRACT_ARTIFACTS, "test");

interface Artifact {
  contractName: string;
  sourceName: string;
  abi: unknown[];
}

function artifactFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return file === TEST_DOUBLES ? [] : artifactFiles(file);
    return entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json") ? [file] : [];
  });
}

function writeAbis(): string[] {
  if (!fs.existsSync(CONTRACT_ARTIFACTS)) {
    throw new Error(`${CONTRACT_ARTIFACTS} is missing: run \`npx hardhat compile\` first`);
  }
  const out = path.join(DIST, "abi");
  fs.mkdirSync(out, { recursive: true });
  const written = new Map<string, string>();
  for (const file of artifactFiles(CONTRACT_ARTIFACTS)) {
    const artifact = JSON.parse(fs.readFileSync(file, "utf8")) as Artifact;
    if (artifact.abi.length === 0) continue; // a library of internal functions has no ABI
    const previous = written.get(artifact.contractName);
    if (previous !== undefined) {
      throw new Error(`two contracts named ${artifact.contractName}: ${previous} and ${artifact.sourceName}`);
    }
    written.set(artifact.contractName, artifact.sourceName);
    fs.writeFileSync(path.join(out, `${artifact.contractName}.json`), JSON.stringify(artifact.abi, null, 2) + "\n");
  }
  return [...written.keys()].sort();
}

function main(): void {
  fs.rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const abis = writeAbis();
  console.log(`package: dist/src, dist/typechain-types and ${abis.length} ABIs (${abis.join(", ")})`);
}

main();
