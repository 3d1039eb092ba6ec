// The installable package as a bank's service sees it: the packed tarball's contents, its entry loaded in a plain
// node process without Hardhat, and the README's Participant example type-checked as written in a fresh project
// that installed the tarball, then run there against the in-process network served over JSON-RPC on 127.0.0.1:
// one demo bank (SoftHSM key, signed bundle of the real bank policy, SQLite audit log) affirms and settles a DvP
// its counterparty instructed.
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import hre from "hardhat";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  buildPolicy,
  consortiumConfigWithKeys,
  createBankKeys,
  openBanks,
  type DemoBank,
  type DemoBankInput,
} from "../../src/demo/banks";
import { DemoClock } from "../../src/demo/clock";
import { DemoHsm } from "../../src/demo/softhsm";
import { deployConsortium, type DeploymentRecord } from "../../src/deploy";
import { openAuditStore } from "../../src/audit";
import { parseParticipantConfig } from "../../src/participant";
import type { SettlementTerms } from "../../src/settlement";
import { DEMO_CONFIG, isolateChain, tempDir } from "../tasks/helpers";
import {
  compileExample,
  createConsumer,
  pack,
  PACKAGE_NAME,
  packagesNamed,
  runExample,
  runNode,
  tarballEntries,
} from "./consumer";

const ROOT = path.join(__dirname, "..", "..");
const TERMS = { perSettlement: "100000000", daily: "900000000", cashThreshold: "50000000" };
/** Packing builds dist/; installing builds the native modules from source (several minutes on a busy machine). */
const SETUP_TIMEOUT_MS = 20 * 60_000;

/** Hardhat's JSON-RPC server (the one `hardhat node` runs), serving the in-process network. */
interface JsonRpcServer {
  listen(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

describe("Installable package", function () {
  let consumer: string;
  let entries: string[];

  before(async function () {
    this.timeout(SETUP_TIMEOUT_MS);
    const dir = await tempDir("package-");
    const tarball = await pack(dir);
    entries = await tarballEntries(tarball);
    consumer = path.join(dir, "bank-service");
    await createConsumer(consumer, tarball);
  });

  it("packs dist/ (JS, declarations, contract bindings, ABIs), package.json and README, and no test code", function () {
    for (const file of [
      "package.json",
      "README.md",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/participant/participant.js",
      "dist/typechain-types/index.js",
      "dist/typechain-types/index.d.ts",
      "dist/typechain-types/factories/contracts/settlement/SettlementEngine__factory.js",
      "dist/abi/SettlementEngine.json",
      "dist/abi/Consortium.json",
    ]) {
      expect(entries, file).to.include(file);
    }
    const outside = entries.filter((e) => !e.startsWith("dist/") && e !== "package.json" && e !== "README.md");
    expect(outside).to.deep.equal([]);
    // Nothing of test/ or node_modules, nor the bindings of the contracts used only by tests.
    expect(entries.filter((e) => /(^|\/)(node_modules|test)\//.test(e))).to.deep.equal([]);
  });

  it("leaves the Hardhat tasks, the demo and the deployment code out of the package", function () {
    expect(entries.filter((e) => /^dist\/src\/(tasks|demo|deploy)\//.test(e))).to.deep.equal([]);
    expect(entries.filter((e) => /\.ts$/.test(e) && !e.endsWith(".d.ts"))).to.deep.equal([]);
  });

  it("loads its entry point in a plain node process without loading Hardhat", async function () {
    const script =
      'require("./dist/src/index.js"); const loaded = Object.keys(require.cache);' +
      'console.log(JSON.stringify(loaded.filter((f) => f.includes("/node_modules/hardhat/"))));';
    expect(JSON.parse(await runNode(ROOT, script))).to.deep.equal([]);
  });

  it("resolves its entry, bindings and ABIs by the package name where Hardhat is not installed", async function () {
    const script =
      `const pkg = require("${PACKAGE_NAME}"); const bindings = require("${PACKAGE_NAME}/contracts");` +
      `const abi = require("${PACKAGE_NAME}/abi/SettlementEngine.json");` +
      'let hardhat = true; try { require.resolve("hardhat"); } catch { hardhat = false; }' +
      "console.log(JSON.stringify({ participant: typeof pkg.Participant.open, factory: typeof bindings." +
      "SettlementEngine__factory.connect, settle: abi.some((f) => f.name === 'settle'), hardhat }));";
    expect(JSON.parse(await runNode(consumer, script))).to.deep.equal({
      participant: "function",
      factory: "function",
      settle: true,
      hardhat: false,
    });
  });

  it("declares every package its built code requires or its declarations import as a dependency", async function () {
    const installed = path.join(consumer, "node_modules", PACKAGE_NAME);
    const manifest = JSON.parse(await readFile(path.join(installed, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const named = [...(await packagesNamed(path.join(installed, "dist")))];
    expect(named).to.include.members(["ethers", "better-sqlite3", "pkcs11js", "secp256k1", "zod"]);
    expect(named.filter((name) => !(name in manifest.dependencies))).to.deep.equal([]);
  });

  it("type-checks the README's Participant example as written (strict, module node16, library checks on)", async function () {
    this.timeout(5 * 60_000);
    await compileExample(consumer);
  });

  describe("the README's example run against the in-process network", function () {
    isolateChain();
    let dir: string;
    let banks: DemoBank[];
    let record: DeploymentRecord;
    let clock: DemoClock;
    let server: JsonRpcServer;
    let rpcUrl: string;

    before(async function () {
      this.timeout(SETUP_TIMEOUT_MS);
      dir = await tempDir("package-chain-");
      const hsm = DemoHsm.create(path.join(dir, "hsm"));
      const inputs: DemoBankInput[] = [
        { name: "Alpha Bank", lei: "DEMO00ALPHABANK00017", terms: TERMS },
        { name: "Beta Bank", lei: "DEMO00BETABANK000096", terms: TERMS },
        { name: "Gamma Bank", lei: "DEMO00GAMMABANK00078", terms: TERMS },
      ];
      const keys = createBankKeys(hsm, inputs);
      const configFile = consortiumConfigWithKeys(DEMO_CONFIG, keys, path.join(dir, "consortium.json"));
      const { wasm, base } = await buildPolicy(hre.config.paths.root, path.join(dir, "policy"));
      record = (await deployConsortium(hre, { configFile, fresh: true })).record;
      clock = new DemoClock(hre);
      await clock.toNextMonday(9);
      banks = await openBanks(hre, { runDir: dir, hsm, record, banks: inputs, keys, wasm, base, clock });
      // The example opens Alpha's stores and HSM session itself; its reservation file admits one engine.
      await banks[0].participant.close();
      server = (await hre.run(TASK_NODE_CREATE_SERVER, {
        hostname: "127.0.0.1",
        port: 0,
        provider: hre.network.provider,
      })) as JsonRpcServer;
      const { address, port } = await server.listen();
      rpcUrl = `http://${address}:${port}`;
    });

    after(async function () {
      await server?.close();
      for (const b of banks?.slice(1) ?? []) await b.participant.close();
    });

    it("affirms and settles a DvP the counterparty instructed, and the bank's audit log verifies", async function () {
      this.timeout(5 * 60_000);
      const [alpha, beta] = banks;
      const token = (symbol: string) => record.tokens.find((t) => t.symbol === symbol)!.address;
      // The terms the example's desk agreed (README): the seller instructs them first.
      const terms: SettlementTerms = {
        tradeRef: encodeBytes32String("T-2026-0042"),
        kind: 0,
        seller: beta.address,
        buyer: alpha.address,
        asset: token("B30"),
        assetAmount: 1_000n,
        cash: token("aEUR"),
        cashAmount: 101_000_00n,
      };
      const { settlementId } = await beta.participant.instruct(terms);
      const configPath = path.join(alpha.dir, "participant.json");

      const { stdout } = await runExample(
        consumer,
        { RPC_URL: rpcUrl, PARTICIPANT_CONFIG: configPath, SELLER_ACCOUNT: beta.address },
        clock.now() * 1000 - Date.now(),
      );

      const lines = stdout.trim().split("\n");
      expect(lines[0]).to.match(new RegExp(`^affirmed ${settlementId} in 0x[0-9a-f]{64}$`));
      expect(lines[1]).to.match(new RegExp(`^settled ${settlementId} in 0x[0-9a-f]{64}$`));
      const verified = /^audit log verified: (\d+) records$/.exec(lines[2] ?? "");
      expect(verified, stdout).to.not.equal(null);
      expect(lines).to.have.length(3);

      const engine = await hre.ethers.getContractAt("SettlementEngine", record.engine);
      expect(await engine.statusOf(settlementId)).to.equal(3n); // Settled
      const [affirmTx, settleTx] = lines.slice(0, 2).map((l) => l.split(" in ")[1]);
      expect((await hre.ethers.provider.getTransaction(affirmTx))?.from).to.equal(alpha.address);
      expect((await hre.ethers.provider.getTransaction(settleTx))?.from).to.equal(alpha.address);

      // The log the example verified, read back here: the same records, intact, with both HSM signatures.
      const config = parseParticipantConfig(JSON.parse(await readFile(configPath, "utf8")));
      const audit = await openAuditStore(config.audit);
      try {
        expect(await audit.verify()).to.include({ ok: true, count: Number(verified![1]) });
        let signatures = 0;
        for await (const r of audit.records())
          if (r.kind === "signature" && r.subject === settlementId) signatures += 1;
        expect(signatures).to.equal(2);
      } finally {
        await audit.close();
      }
    });
  });
});
