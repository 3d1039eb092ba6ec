/**
 * The devnet tasks at the edge: typed failures as one-line task errors with their codes, the JSON documents of
 * init and status, and the command line's missing-client line and exit status. No client is needed.
 */
import { expect } from "chai";
import hre from "hardhat";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MISSING_CLIENT_MESSAGE } from "../../src/devnet";
import { expectTaskError, runJson } from "../tasks/helpers";

const HARDHAT = path.join(hre.config.paths.root, "node_modules", ".bin", "hardhat");

describe("devnet tasks", function () {
  let root: string;
  let specFile: string;
  const saved = process.env.DEVNET_DIR;

  beforeEach(async function () {
    root = await mkdtemp(path.join(os.tmpdir(), "devnet-tasks-"));
    process.env.DEVNET_DIR = path.join(root, "devnet");
    specFile = path.join(root, "spec.json");
    await writeFile(specFile, JSON.stringify({ basePorts: { p2p: 43303, rpc: 43545 } }));
  });

  afterEach(async function () {
    if (saved === undefined) delete process.env.DEVNET_DIR;
    else process.env.DEVNET_DIR = saved;
    await rm(root, { recursive: true, force: true });
  });

  it("devnet:status without a devnet is DEVNET_NOT_INITIALISED", async function () {
    await expectTaskError(hre.run("devnet:status", {}), "DEVNET_NOT_INITIALISED", /devnet:init/);
  });

  it("devnet:init writes the nodes of the spec, overridden by its flags, and status shows them stopped", async function () {
    const init = await runJson<{ chainId: number; nodes: { rpcUrl: string }[] }>("devnet:init", {
      spec: specFile,
      validators: "3",
      chainId: "4321",
      force: false,
    });
    expect(init.chainId).to.equal(4321);
    expect(init.nodes.map((n) => n.rpcUrl)).to.deep.equal([
      "http://127.0.0.1:43545",
      "http://127.0.0.1:43546",
      "http://127.0.0.1:43547",
    ]);
    const status = await runJson<{ validators: null; nodes: { running: boolean; head: null }[] }>("devnet:status");
    expect(status.validators).to.equal(null);
    expect(status.nodes.map((n) => n.running)).to.deep.equal([false, false, false]);
  });

  it("devnet:init refuses a number of validators that is not a whole number", async function () {
    await expectTaskError(
      hre.run("devnet:init", { spec: specFile, validators: "four", force: false }),
      "DEVNET_SPEC_INVALID",
      /--validators must be a whole number/,
    );
  });

  it("devnet:init refuses an unknown client", async function () {
    await expectTaskError(
      hre.run("devnet:init", { spec: specFile, client: "parity", force: false }),
      "DEVNET_CLIENT_UNKNOWN",
      /unknown client "parity"/,
    );
  });

  it("devnet:start without a client prints the missing-client line and exits 69", async function () {
    await runJson("devnet:init", { spec: specFile, force: false });
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: path.dirname(process.execPath) };
    delete env.QUORUM_GETH;
    delete env.BESU_HOME;
    const run = spawnSync(process.execPath, [HARDHAT, "devnet:start"], {
      cwd: hre.config.paths.root,
      env,
      encoding: "utf8",
    });
    const lines = run.stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines).to.deep.equal([`Error DEVNET_CLIENT_NOT_FOUND: ${MISSING_CLIENT_MESSAGE}`]);
    expect(run.status).to.equal(69);
  });
});
