import { expect } from "chai";
import { Wallet, id } from "ethers";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ErrorCode } from "../../src/errors";
import { KEY_TIERS as POLICY_KEY_TIERS } from "../../src/policy";
import {
  KEY_TIERS,
  KeyDirectory,
  loadCustodyConfig,
  parseCustodyConfig,
  type CustodyConfigInput,
} from "../../src/custody";
import { cleanTempDirs, expectCode, tempFolder } from "./helpers";

const address = (name: string) => new Wallet(id(`custody-config/${name}`)).address;
const OMNIBUS = address("omnibus");
const ALICE = address("alice");
const VIP = address("vip");
const TOKEN = address("token");

function omnibus(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: "omnibus",
    bank: "Alpha Bank",
    omnibus: { address: OMNIBUS.toLowerCase(), tier: "hot" },
    ledger: { path: "ledger.sqlite" },
    assets: [{ address: TOKEN, symbol: "aEUR" }],
    ...patch,
  };
}

function segregated(clients: Record<string, unknown>, patch: Record<string, unknown> = {}): CustodyConfigInput {
  return {
    model: "segregated",
    bank: "Alpha Bank",
    keystore: { path: "seed.json", passphrase: { env: "CUSTODY_PASSPHRASE" } },
    hsm: { modulePath: "/usr/lib/softhsm/libsofthsm2.so", pin: { env: "CUSTODY_HSM_PIN" } },
    clients,
    ...patch,
  } as CustodyConfigInput;
}

const hdClient = (addr: string, index: number, tier = "hot") => ({ address: addr, tier, hd: { index } });
const hsmClient = (addr: string, keyLabel: string, tier = "cold") => ({
  address: addr,
  tier,
  hsm: { tokenLabel: "custody", keyLabel },
});

describe("custody configuration", function () {
  cleanTempDirs();

  it("parses an omnibus configuration: checksummed addresses, defaults, paths relative to the file", async function () {
    const dir = tempFolder();
    const file = path.join(dir, "custody.json");
    writeFileSync(file, JSON.stringify(omnibus()));
    const config = await loadCustodyConfig(file);
    expect(config.model).to.equal("omnibus");
    if (config.model !== "omnibus") return;
    expect(config.omnibus.address).to.equal(OMNIBUS);
    expect(config.ledger).to.deep.equal({ path: path.join(dir, "ledger.sqlite"), busyTimeoutMs: 5_000 });
  });

  it("uses the same key tiers as the bank policy's key_tier field", function () {
    expect(KEY_TIERS).to.deep.equal(POLICY_KEY_TIERS);
  });

  it("refuses a warm or cold software (HD) key", async function () {
    for (const tier of ["warm", "cold"]) {
      const error = await expectCode(
        () => parseCustodyConfig(segregated({ alice: hdClient(ALICE, 0, tier) })),
        ErrorCode.CustodyKeyTierInvalid,
      );
      expect(error.details).to.include({ path: "clients.alice.tier", tier, kind: "software (HD)" });
    }
  });

  it("refuses a warm omnibus key that is not in an HSM", async function () {
    await expectCode(
      () => parseCustodyConfig(omnibus({ omnibus: { address: OMNIBUS, tier: "warm" } })),
      ErrorCode.CustodyKeyTierInvalid,
    );
    const inHsm = omnibus({
      omnibus: { address: OMNIBUS, tier: "cold", hsm: { tokenLabel: "bank", keyLabel: "omnibus" } },
      hsm: { modulePath: "/usr/lib/softhsm/libsofthsm2.so", pin: { file: "pin.txt" } },
    });
    expect(parseCustodyConfig(inHsm).model).to.equal("omnibus");
  });

  it("accepts hot HD keys beside warm and cold HSM keys", function () {
    const config = parseCustodyConfig(
      segregated({ alice: hdClient(ALICE, 0), vip: hsmClient(VIP, "vip"), fund: hsmClient(TOKEN, "fund", "warm") }),
    );
    expect(config.model).to.equal("segregated");
  });

  it("refuses a literal passphrase or PIN: secrets come from an environment variable or a file", async function () {
    const literal = segregated({ alice: hdClient(ALICE, 0) }, { keystore: { path: "s.json", passphrase: "hunter2" } });
    const error = await expectCode(() => parseCustodyConfig(literal), ErrorCode.CustodyConfigInvalid);
    expect(JSON.stringify(error.details)).to.not.include("hunter2");
    expect(error.message).to.not.include("hunter2");
    const pin = segregated({ vip: { ...hsmClient(VIP, "vip"), hsm: { tokenLabel: "t", keyLabel: "k", pin: "1234" } } });
    await expectCode(() => parseCustodyConfig(pin), ErrorCode.CustodyConfigInvalid);
  });

  it("refuses shared addresses, shared HD indexes and a client with both an HD index and an HSM key", async function () {
    const cases: CustodyConfigInput[] = [
      segregated({ alice: hdClient(ALICE, 0), bob: hdClient(ALICE, 1) }),
      segregated({ alice: hdClient(ALICE, 0), bob: hdClient(VIP, 0) }),
      segregated({ alice: { ...hdClient(ALICE, 0), hsm: { tokenLabel: "t", keyLabel: "k" } } }),
      segregated({ alice: { address: ALICE, tier: "hot" } }),
      segregated({}),
    ];
    for (const input of cases) await expectCode(() => parseCustodyConfig(input), ErrorCode.CustodyConfigInvalid);
    const error = await expectCode(() => parseCustodyConfig(cases[0]), ErrorCode.CustodyConfigInvalid);
    expect(error.message).to.include("clients.bob.address: address already used by clients.alice");
  });

  it("refuses HD clients without a keystore and HSM clients without a module or a PIN", async function () {
    const noKeystore = segregated({ alice: hdClient(ALICE, 0) }, { keystore: undefined });
    const noModule = segregated({ vip: hsmClient(VIP, "vip") }, { hsm: undefined });
    const noPin = segregated({ vip: hsmClient(VIP, "vip") }, { hsm: { modulePath: "/lib/p11.so" } });
    for (const input of [noKeystore, noModule, noPin]) {
      await expectCode(() => parseCustodyConfig(input), ErrorCode.CustodyConfigInvalid);
    }
  });

  it("reports a missing or malformed configuration file", async function () {
    const dir = tempFolder();
    await expectCode(loadCustodyConfig(path.join(dir, "none.json")), ErrorCode.ConfigNotFound);
    writeFileSync(path.join(dir, "bad.json"), "{ model: omnibus");
    await expectCode(loadCustodyConfig(path.join(dir, "bad.json")), ErrorCode.ConfigMalformed);
  });
});

describe("KeyDirectory", function () {
  const directory = KeyDirectory.fromConfig(
    parseCustodyConfig(segregated({ alice: hdClient(ALICE, 3), vip: hsmClient(VIP, "vip") })),
  );

  it("describes each client key by address: client, tier and kind", function () {
    expect(directory.describe(ALICE)).to.deep.equal({ address: ALICE, clientId: "alice", tier: "hot", kind: "hd" });
    expect(directory.describe(VIP.toLowerCase())).to.deep.equal({
      address: VIP,
      clientId: "vip",
      tier: "cold",
      kind: "hsm",
    });
    expect(directory.tierOf(VIP.toUpperCase().replace("0X", "0x"))).to.equal("cold");
    expect(directory.addressOf("alice")).to.equal(ALICE);
    expect(directory.entries()).to.have.length(2);
  });

  it("describes the omnibus address of an omnibus bank, without a client", function () {
    const omnibusDirectory = KeyDirectory.fromConfig(parseCustodyConfig(omnibus()));
    expect(omnibusDirectory.describe(OMNIBUS)).to.deep.equal({ address: OMNIBUS, tier: "hot", kind: "omnibus" });
  });

  it("refuses the tier of an address custody does not hold, never defaulting it", async function () {
    const error = await expectCode(() => directory.tierOf(TOKEN), ErrorCode.CustodyKeyUnknown);
    expect(error.details).to.deep.equal({ address: TOKEN });
    await expectCode(() => directory.describe("not an address"), ErrorCode.CustodyKeyUnknown);
    expect(directory.has(TOKEN)).to.equal(false);
  });
});
