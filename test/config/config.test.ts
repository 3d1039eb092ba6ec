import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  configDigest,
  consortiumKey,
  consortiumModuleId,
  formatAmount,
  isValidLei,
  loadConsortiumConfig,
  parseAmount,
  parseConsortiumConfig,
  resolveConsortiumConfig,
  type ConsortiumConfig,
} from "../../src/config";
import { ConfigError, ErrorCode } from "../../src/errors";
import { writeTempConfig } from "../tasks/helpers";

const DEMO = "deploy/consortia/demo.json";
/** The demo configuration as raw JSON, loosely typed so that tests can break it. */
interface RawConfig {
  members: { name: string; lei: string; operators?: string[]; accounts: string[] }[];
  settings: Record<string, string | number>;
  tokens: Record<string, string | number>[];
  funding: { openingBalances: Record<string, string> };
}

const demoJson = (): RawConfig => JSON.parse(readFileSync(DEMO, "utf8")) as RawConfig;

/** Hardhat's first accounts, enough for `signer:<index>` up to 6. */
const SIGNERS = [
  "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
  "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
  "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
];

/** The demo configuration with one change applied. */
function variant(change: (config: RawConfig) => void): string {
  const config = demoJson();
  change(config);
  return JSON.stringify(config);
}

/** Parses `text` and returns the `ConfigError` it must fail with. */
function configError(text: string): ConfigError {
  try {
    parseConsortiumConfig(text, "test.json");
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

function expectInvalidAt(text: string, path: string, message: RegExp): void {
  const error = configError(text);
  expect(error.code).to.equal(ErrorCode.ConfigInvalid);
  expect(error.details.path).to.equal(path);
  expect(error.message).to.match(new RegExp(`^test\\.json: ${path.replace(/[[\].]/g, "\\$&")}: `));
  expect(error.message).to.match(message);
}

describe("consortium configuration", function () {
  describe("the demo configuration", function () {
    it("is valid and resolves signer references to the network's signers", async function () {
      const config = await loadConsortiumConfig(DEMO);
      const resolved = resolveConsortiumConfig(config, SIGNERS, DEMO);
      expect(resolved.key).to.equal("demo-three-bank-consortium");
      expect(resolved.moduleId).to.equal("DemoThreeBankConsortium");
      expect(resolved.members.map((m) => m.operators[0])).to.deep.equal([SIGNERS[1], SIGNERS[3], SIGNERS[5]]);
      expect(resolved.settings).to.deep.equal({
        reversalWindow: 86400,
        affirmationWindow: 7200,
        proposalDelay: 86400,
        proposalLifetime: 604800,
      });
      expect(resolved.tokens.map((t) => [t.symbol, t.cap])).to.deep.equal([
        ["aEUR", 1_000_000_000n],
        ["B30", 100_000n],
      ]);
      expect(resolved.funding).to.deep.equal([
        { symbol: "aEUR", amount: 500_000_000n },
        { symbol: "B30", amount: 50_000n },
      ]);
    });

    it("has a digest that changes with what goes on chain but not with funding", async function () {
      const config = await loadConsortiumConfig(DEMO);
      const digest = configDigest(resolveConsortiumConfig(config, SIGNERS));
      const funded: ConsortiumConfig = { ...config, funding: { openingBalances: { aEUR: "1.00" } } };
      expect(configDigest(resolveConsortiumConfig(funded, SIGNERS))).to.equal(digest);
      const slower = { ...config, settings: { ...config.settings, reversalWindow: 172800 } };
      expect(configDigest(resolveConsortiumConfig(slower, SIGNERS))).to.not.equal(digest);
    });
  });

  describe("refuses", function () {
    it("a missing file with CONFIG_NOT_FOUND", async function () {
      const error = await loadConsortiumConfig("deploy/consortia/missing.json").catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).code).to.equal(ErrorCode.ConfigNotFound);
      expect((error as ConfigError).message).to.equal("deploy/consortia/missing.json: no such configuration file");
    });

    it("malformed JSON with CONFIG_MALFORMED and where it broke", async function () {
      const file = await writeTempConfig('{\n  "name": "Broken",\n  "members": [],\n}');
      const error = await loadConsortiumConfig(file).catch((e: unknown) => e);
      expect((error as ConfigError).code).to.equal(ErrorCode.ConfigMalformed);
      expect((error as ConfigError).details.file).to.equal(file);
      expect((error as ConfigError).message).to.match(/consortium\.json: not valid JSON at line 4, column 1 \(/);
    });

    it("a missing field, naming its path", function () {
      expectInvalidAt(
        variant((c) => delete c.settings.reversalWindow),
        "settings.reversalWindow",
        /is required/,
      );
      expectInvalidAt(
        variant((c) => delete c.members[1].operators),
        "members[1].operators",
        /is required/,
      );
    });

    it("an LEI with wrong check digits or characters", function () {
      expectInvalidAt(
        variant((c) => (c.members[1].lei = "DEMO00BETABANK000097")),
        "members[1].lei",
        /20-character LEI .* check digits/,
      );
      expectInvalidAt(
        variant((c) => (c.members[0].lei = "demo00alphabank00017")),
        "members[0].lei",
        /LEI/,
      );
      expectInvalidAt(
        variant((c) => (c.members[2].lei = "DEMO00GAMMA")),
        "members[2].lei",
        /LEI/,
      );
    });

    it("a duplicate member, by LEI or by name", function () {
      expectInvalidAt(
        variant((c) => (c.members[2].lei = c.members[0].lei)),
        "members[2].lei",
        /duplicate LEI, already given at members\[0\]\.lei/,
      );
      expectInvalidAt(
        variant((c) => (c.members[1].name = "alpha bank")),
        "members[1].name",
        /duplicate member name/,
      );
    });

    it("an operator or account given twice", function () {
      expectInvalidAt(
        variant((c) => (c.members[2].operators = ["signer:1"])),
        "members[2].operators[0]",
        /duplicate operator, already given at members\[0\]\.operators\[0\]/,
      );
      expectInvalidAt(
        variant((c) => c.members[0].accounts.push("signer:2")),
        "members[0].accounts[1]",
        /duplicate account/,
      );
    });

    it("a bad address: malformed, bad checksum or zero", function () {
      expectInvalidAt(
        variant((c) => (c.members[0].operators = ["0x1234"])),
        "members[0].operators[0]",
        /"0x1234" is neither a 0x address nor signer:<index>/,
      );
      expectInvalidAt(
        variant((c) => (c.tokens[0].admin = "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266")),
        "tokens[0].admin",
        /neither a 0x address/,
      );
      expectInvalidAt(
        variant((c) => (c.members[1].accounts = ["0x0000000000000000000000000000000000000000"])),
        "members[1].accounts[0]",
        /must not be the zero address/,
      );
    });

    it("an unknown field, a bad duration and inconsistent timings", function () {
      expectInvalidAt(
        variant((c) => (c.settings.reversalWindows = "1d")),
        "settings",
        /unknown field\(s\) reversalWindows/,
      );
      expectInvalidAt(
        variant((c) => (c.settings.affirmationWindow = "2 hours")),
        "settings.affirmationWindow",
        /duration/,
      );
      expectInvalidAt(
        variant((c) => (c.settings.reversalWindow = "366d")),
        "settings.reversalWindow",
        /at most 365 days/,
      );
      expectInvalidAt(
        variant((c) => (c.settings.proposalDelay = "7d")),
        "settings.proposalDelay",
        /shorter than settings\.proposalLifetime/,
      );
    });

    it("tokens with a bad cap, an unknown issuer or a duplicate symbol, and funding of unknown tokens", function () {
      expectInvalidAt(
        variant((c) => (c.tokens[0].cap = "10.001")),
        "tokens[0].cap",
        /at most 2 decimals/,
      );
      expectInvalidAt(
        variant((c) => (c.tokens[1].issuer = "Delta Bank")),
        "tokens[1].issuer",
        /"Delta Bank" is not a member's name/,
      );
      expectInvalidAt(
        variant((c) => (c.tokens[1].symbol = "AEUR")),
        "tokens[1].symbol",
        /duplicate symbol/,
      );
      expectInvalidAt(
        variant((c) => (c.funding.openingBalances.XYZ = "1")),
        "funding.openingBalances.XYZ",
        /not the symbol of a configured token/,
      );
    });

    it("reports how many more problems there are", function () {
      const error = configError(
        variant((c) => {
          c.members[0].lei = "X";
          c.members[1].lei = "Y";
        }),
      );
      expect(error.message).to.match(/\(and 1 more\)$/);
      expect(error.details.issues).to.have.length(2);
    });

    it("signer references the network does not have, with CONFIG_UNRESOLVED", async function () {
      const config = await loadConsortiumConfig(DEMO);
      expect(() => resolveConsortiumConfig(config, SIGNERS.slice(0, 5), DEMO))
        .to.throw(ConfigError, /members\[2\]\.operators\[0\]: signer:5 does not exist, the network has 5 signer/)
        .with.property("code", ErrorCode.ConfigUnresolved);
    });

    it("a signer reference and an address that name the same account", function () {
      const config = parseConsortiumConfig(variant((c) => (c.members[1].accounts = [SIGNERS[2]])));
      expect(() => resolveConsortiumConfig(config, SIGNERS))
        .to.throw(ConfigError, /members\[1\]\.accounts\[0\]: duplicate account/)
        .with.property("code", ErrorCode.ConfigInvalid);
    });
  });

  describe("LEIs (ISO 17442, MOD 97-10 check digits)", function () {
    it("accepts published LEIs", function () {
      // GLEIF itself, JPMorgan Chase Bank N.A., Apple Inc.
      for (const lei of ["506700GE1G29325QX363", "7H6GLXDRUGQFU57RNE97", "HWUPKR0MPOU8FGXBT394"]) {
        expect(isValidLei(lei), lei).to.equal(true);
      }
    });

    it("rejects a changed character or check digit", function () {
      expect(isValidLei("506700GE1G29325QX364")).to.equal(false);
      expect(isValidLei("506700GE1G29325QY363")).to.equal(false);
      expect(isValidLei("506700GE1G29325QX36")).to.equal(false);
    });
  });

  describe("names and amounts", function () {
    it("derives the deployment key and Ignition module id from the name", function () {
      expect(consortiumKey("Nordic Repo Network 2")).to.equal("nordic-repo-network-2");
      expect(consortiumModuleId("Nordic Repo Network 2")).to.equal("NordicRepoNetwork2");
      expect(consortiumKey("2025 Pilot")).to.equal("consortium-2025-pilot");
      expect(consortiumModuleId("2025 pilot")).to.equal("Consortium2025Pilot");
    });

    it("converts human amounts to base units and back", function () {
      expect(parseAmount("1500.25", 2)).to.equal(150025n);
      expect(parseAmount("1500.250", 2)).to.equal(150025n);
      expect(parseAmount("5", 0)).to.equal(5n);
      expect(parseAmount("1.5", 0)).to.equal(undefined);
      expect(parseAmount("-1", 2)).to.equal(undefined);
      expect(parseAmount("1e3", 2)).to.equal(undefined);
      expect(formatAmount(150020n, 2)).to.equal("1500.2");
      expect(formatAmount(10_000_000_00n, 2, { grouped: true })).to.equal("10,000,000.00");
      expect(formatAmount(50_000n, 0, { grouped: true })).to.equal("50,000");
    });
  });
});
