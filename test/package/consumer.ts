/**
 * A bank's project that installs the packed package: `npm pack` of this repository, a fresh directory with its
 * own package.json (the native modules' install scripts allowed, as the README says), `npm install` of the
 * tarball with TypeScript and the Node types, and the README's `Participant` example as its only source file.
 */
import { execFile } from "node:child_process";
import { builtinModules } from "node:module";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "..", "..");
/** npm's output of an install that builds native modules runs past the default 1 MiB. */
const MAX_BUFFER = 64 * 1024 * 1024;

/** The package's import path, as the README's example imports it. */
export const PACKAGE_NAME = "consortium-settlement";

/** The one TypeScript code block of README.md that imports the package. */
export async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  const examples = blocks.filter((b) => b.includes(`from "${PACKAGE_NAME}"`));
  if (examples.length !== 1) throw new Error(`README.md has ${examples.length} examples importing ${PACKAGE_NAME}`);
  return examples[0];
}

/**
 * Builds dist/ from the artifacts and bindings this test run compiled, then packs the repository into `dir`
 * (`--ignore-scripts`: `prepack` would run `hardhat compile`, which must not rewrite the artifacts of a run
 * under coverage); returns the tarball's path.
 */
export async function pack(dir: string): Promise<string> {
  const build = path.join(ROOT, "scripts", "build-package.ts");
  await run(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", build], {
    cwd: ROOT,
    maxBuffer: MAX_BUFFER,
  });
  await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: ROOT, maxBuffer: MAX_BUFFER });
  const tarballs = (await readdir(dir)).filter((f) => f.endsWith(".tgz"));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.length} tarballs in ${dir}`);
  return path.join(dir, tarballs[0]);
}

/** Paths of every entry of a tarball, without npm's leading `package/`. */
export async function tarballEntries(tarball: string): Promise<string[]> {
  const { stdout } = await run("tar", ["-tzf", tarball], { maxBuffer: MAX_BUFFER });
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replace(/^package\//, ""));
}

/**
 * The packages the built files under `dir` name (in `require("...")` of the JS, in `from "..."` and `import("...")`
 * of the declarations), by package name, without Node's built-in modules.
 */
export async function packagesNamed(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"));
  for (const file of files) {
    const text = await readFile(path.join(dir, file), "utf8");
    for (const m of text.matchAll(/(?:require\(|from |import\()"([^"./][^"]*)"/g)) {
      const specifier = m[1];
      if (specifier.startsWith("node:") || builtinModules.includes(specifier)) continue;
      const parts = specifier.split("/");
      names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
    }
  }
  return names;
}

async function installedVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

/**
 * The bank's project in `dir`: the tarball installed (dependencies from the npm cache or the registry, native
 * modules built by their allowed install scripts), `example.ts` taken from the README, a strict tsconfig with
 * `module` node16, and a preload that sets the process's clock to the test chain's.
 */
export async function createConsumer(dir: string, tarball: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const manifest = {
    name: "bank-settlement-service",
    version: "1.0.0",
    private: true,
    allowScripts: { "better-sqlite3": true, pkcs11js: true, secp256k1: true },
  };
  await writeFile(path.join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const tools = [
    `typescript@${await installedVersion("typescript")}`,
    `@types/node@${await installedVersion("@types/node")}`,
  ];
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, ...tools], {
    cwd: dir,
    maxBuffer: MAX_BUFFER,
  });
  const tsconfig = {
    compilerOptions: {
      target: "es2022",
      module: "node16",
      strict: true,
      skipLibCheck: false,
      outDir: "out",
      types: ["node"],
    },
    files: ["example.ts"],
  };
  await writeFile(path.join(dir, "tsconfig.json"), `${JSON.stringify(tsconfig, null, 2)}\n`);
  await writeFile(path.join(dir, "example.ts"), await readmeExample());
  // The demo's banks read the chain's clock (moved to a Monday morning); the example's bank does the same.
  await writeFile(
    path.join(dir, "chain-clock.js"),
    "const offset = Number(process.env.CHAIN_CLOCK_OFFSET_MS);\nconst now = Date.now;\nDate.now = () => now() + offset;\n",
  );
}

/** Type-checks and compiles the example with the project's own TypeScript; throws with tsc's output on errors. */
export async function compileExample(dir: string): Promise<void> {
  await run(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", dir], {
    cwd: dir,
    maxBuffer: MAX_BUFFER,
  });
}

/** Runs `node -e script` in `cwd` and returns its stdout. */
export async function runNode(cwd: string, script: string): Promise<string> {
  return (await run(process.execPath, ["-e", script], { cwd, maxBuffer: MAX_BUFFER })).stdout;
}

/** Runs the compiled example with `env` and the chain's clock; returns what it printed. */
export async function runExample(
  dir: string,
  env: Record<string, string>,
  chainClockOffsetMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ["--require", "./chain-clock.js", path.join("out", "example.js")], {
    cwd: dir,
    env: { ...process.env, ...env, CHAIN_CLOCK_OFFSET_MS: String(chainClockOffsetMs) },
    maxBuffer: MAX_BUFFER,
  });
}
