/**
 * Builds the installable package into dist/ (run by `npm run build:package` and by `npm pack` through `prepack`,
 * after `hardhat compile` has written the artifacts):
 *   dist/src/             the entry point (src/index.ts) and every module it reaches, JS and .d.ts
 *   dist/typechain-types/ the contract bindings (TypeChain, ethers v6), JS and .d.ts
 *   dist/abi/<Name>.json  the ABI of every consortium contract and interface
 * Hardhat tasks, the demo and the deployment code are not reachable from the entry and stay out. The contracts used
 * only by tests stay out too: the package's bindings are generated again without them into build/package/, beside
 * a copy of src/ (src imports the bindings by relative path), and tsc compiles that tree, so the build also fails
 * if the entry ever reaches a test double.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_FLAGS, glob, runTypeChain } from "typechain";

const ROOT = path.join(__dirname, "..");
const DIST = path.join(ROOT, "dist");
/** What tsconfig.build.json compiles: a copy of src/ and the package's bindings. */
const STAGE = path.join(ROOT, "build", "package");
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

/** Copies src/ and generates the bindings of every artifact but the test doubles' into build/package/. */
async function stage(): Promise<void> {
  fs.rmSync(STAGE, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, "src"), path.join(STAGE, "src"), { recursive: true });
  const artifacts = glob(ROOT, ["artifacts/!(build-info)/**/+([a-zA-Z0-9_]).json"]).filter(
    (file) => !file.startsWith(TEST_DOUBLES + path.sep),
  );
  await runTypeChain({
    cwd: ROOT,
    filesToProcess: artifacts,
    allFiles: artifacts,
    outDir: path.join(STAGE, "typechain-types"),
    target: "ethers-v6",
    flags: DEFAULT_FLAGS,
  });
}

function writeAbis(): string[] {
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

async function main(): Promise<void> {
  fs.rmSync(DIST, { recursive: true, force: true });
  if (!fs.existsSync(CONTRACT_ARTIFACTS)) {
    throw new Error(`${CONTRACT_ARTIFACTS} is missing: run \`npx hardhat compile\` first`);
  }
  await stage();
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const abis = writeAbis();
  console.log(`package: dist/src, dist/typechain-types and ${abis.length} ABIs (${abis.join(", ")})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
