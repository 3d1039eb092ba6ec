/**
 * The devnet's directory and processes without a client: what `init` writes (and refuses), the missing-client
 * message, and that `stop` ends the processes a crashed task recorded, and only those.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import {
  findClient,
  initDevnet,
  MISSING_CLIENT_MESSAGE,
  readDevnetState,
  startDevnet,
  stopDevnet,
  type DevnetErrorCode,
} from "../../src/devnet";
import { writeDevnetState } from "../../src/devnet/state";
import { isFrameworkError } from "../../src/errors";

const KEYS = [
  "0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63",
  "0xc87509a1c067bbde78beb793e6fa76530b6382a4c0241e5e4a9ec0a0f44dc0d3",
];
// Ports well away from the defaults, so that a devnet running on the machine does not interfere.
const SPEC = { validators: 2, nodeKeys: KEYS, basePorts: { p2p: 40303, rpc: 40545 } };

async function expectRejects(promise: Promise<unknown>, code: DevnetErrorCode, text?: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(isFrameworkError(error, code), String(error)).to.be.true;
    if (text !== undefined) expect((error as Error).message).to.contain(text);
    return error as Error;
  }
  return expect.fail(`expected ${code}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A long-running process whose command line names `marker`, as a node's names its directory. */
async function longRunning(marker: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", marker], {
    detached: true,
    stdio: "ignore",
  });
  await new Promise((resolve) => child.once("spawn", resolve));
  child.unref();
  return child;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once("exit", resolve));
}

describe("devnet: init, missing client, stop", () => {
  let root: string;
  let dir: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "devnet-test-"));
    dir = path.join(root, "devnet");
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("writes both clients' files from one spec, keys in each client's form, none in the state", async () => {
    const { state } = await initDevnet(dir, SPEC);
    expect(state.nodes.map((n) => n.name)).to.deep.equal(["node-0", "node-1"]);
    expect(state.nodes.every((n) => n.pid === null)).to.be.true;
    for (const file of ["besu/genesis.json", "goquorum/genesis.json", "node-0/besu/config.toml"]) {
      expect(existsSync(path.join(dir, file)), file).to.be.true;
    }
    expect(await readFile(path.join(dir, "node-1/besu/key"), "utf8")).to.equal(KEYS[1]);
    expect(await readFile(path.join(dir, "node-1/goquorum/geth/nodekey"), "utf8")).to.equal(KEYS[1].slice(2));
    const statics = JSON.parse(await readFile(path.join(dir, "node-0/goquorum/static-nodes.json"), "utf8")) as string[];
    expect(statics).to.have.length(2);
    const stateText = readFileSync(path.join(dir, "state.json"), "utf8");
    for (const key of KEYS) expect(stateText).not.to.contain(key.slice(2));
  });

  it("refuses to replace an existing devnet without --force, and replaces it with", async () => {
    await initDevnet(dir, SPEC);
    await expectRejects(initDevnet(dir, SPEC), "DEVNET_EXISTS", "--force");
    const { replaced } = await initDevnet(dir, { ...SPEC, chainId: 99 }, { force: true });
    expect(replaced).to.be.true;
    expect(readDevnetState(dir)?.spec.chainId).to.equal(99);
  });

  it("refuses a directory that holds something other than a devnet, and leaves it as it was", async () => {
    await mkdir(dir);
    await writeFile(path.join(dir, "notes.txt"), "keep me");
    await expectRejects(initDevnet(dir, SPEC, { force: true }), "DEVNET_EXISTS", "holds no devnet");
    expect(await readFile(path.join(dir, "notes.txt"), "utf8")).to.equal("keep me");
  });

  it("refuses a busy port and writes nothing", async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(40546, "127.0.0.1", resolve));
    try {
      await expectRejects(initDevnet(dir, SPEC), "DEVNET_PORT_BUSY", "40546 (node-1 rpc)");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(existsSync(dir)).to.be.false;
  });

  it("refuses the same node key twice", async () => {
    await expectRejects(initDevnet(dir, { ...SPEC, nodeKeys: [KEYS[0], KEYS[0]] }), "DEVNET_KEY_INVALID", "same key");
    expect(existsSync(dir)).to.be.false;
  });

  it("refuses a malformed node key by its index", async () => {
    await expectRejects(initDevnet(dir, { ...SPEC, nodeKeys: [KEYS[0], "0xabc"] }), "DEVNET_KEY_INVALID", "node key 1");
  });

  it("says how to point the project at a client when none is found", async () => {
    const empty = path.join(root, "empty-bin");
    await mkdir(empty);
    const error = await expectRejects(findClient("auto", { PATH: empty }), "DEVNET_CLIENT_NOT_FOUND");
    expect(error.message).to.equal(MISSING_CLIENT_MESSAGE);
    expect(error.message).to.contain("QUORUM_GETH").and.to.contain("BESU_HOME");
  });

  it("does not take a geth on PATH that is not GoQuorum", async () => {
    const bin = path.join(root, "bin");
    await mkdir(bin);
    await writeFile(path.join(bin, "geth"), "#!/bin/sh\necho Geth\necho Version: 1.13.0-stable\n");
    await chmod(path.join(bin, "geth"), 0o755);
    await expectRejects(findClient("auto", { PATH: bin }), "DEVNET_CLIENT_NOT_FOUND");
    await writeFile(path.join(bin, "geth"), "#!/bin/sh\necho Geth\necho Quorum Version: 24.4.1\n");
    expect(await findClient("auto", { PATH: bin })).to.include({ kind: "goquorum", foundBy: "PATH" });
  });

  it("refuses a QUORUM_GETH that is not a GoQuorum geth", async () => {
    await expectRejects(
      findClient("goquorum", { QUORUM_GETH: path.join(root, "missing-geth"), PATH: "" }),
      "DEVNET_CLIENT_NOT_FOUND",
      "QUORUM_GETH",
    );
  });

  it("starts nothing and records no pid when no client is found", async () => {
    await initDevnet(dir, SPEC);
    await expectRejects(startDevnet(dir, { env: { PATH: "" } }), "DEVNET_CLIENT_NOT_FOUND");
    expect(readDevnetState(dir)?.nodes.every((n) => n.pid === null)).to.be.true;
  });

  it("stops the processes a crashed task recorded, and only processes of the devnet's nodes", async () => {
    const { state } = await initDevnet(dir, SPEC);
    const node = await longRunning(path.join(dir, "node-0"));
    const stranger = await longRunning(path.join(root, "elsewhere"));
    try {
      // What a task that crashed after starting node-0 leaves behind; node-1's pid was recycled by another process.
      state.nodes[0].pid = node.pid ?? null;
      state.nodes[1].pid = stranger.pid ?? null;
      await writeDevnetState(dir, state);
      const { stopped } = await stopDevnet(dir);
      expect(stopped).to.deep.equal(["node-0"]);
      await exited(node);
      expect(alive(stranger.pid ?? 0)).to.be.true;
      expect(readDevnetState(dir)?.nodes.every((n) => n.pid === null)).to.be.true;
    } finally {
      stranger.kill("SIGKILL");
      node.kill("SIGKILL");
    }
  });

  it("refuses to start without a devnet", async () => {
    await expectRejects(startDevnet(dir), "DEVNET_NOT_INITIALISED", "devnet:init");
  });
});
