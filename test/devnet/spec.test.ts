/** The devnet spec and node keys: defaults, and a typed error for each kind of bad input. */
import { expect } from "chai";
import {
  devAccountAddresses,
  genesisBalances,
  nodeKeyFromHex,
  parseDevnetSpec,
  type DevnetErrorCode,
} from "../../src/devnet";
import { isFrameworkError } from "../../src/errors";

// Hardhat's first development account: a published key and address pair.
const DEV_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const DEV_ADDRESS_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

export function expectDevnetError(fn: () => unknown, code: DevnetErrorCode, text?: string): void {
  try {
    fn();
  } catch (error) {
    expect(isFrameworkError(error, code), String(error)).to.be.true;
    if (text !== undefined) expect((error as Error).message).to.contain(text);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("devnet: spec", () => {
  it("defaults to 4 validators on chain 1337 with 1 s blocks, funding the development accounts", () => {
    const spec = parseDevnetSpec({});
    expect(spec).to.include({ validators: 4, chainId: 1337, blockPeriodSeconds: 1, requestTimeoutSeconds: 4 });
    expect(spec.basePorts).to.deep.equal({ p2p: 30303, rpc: 8545 });
    expect(devAccountAddresses()[0]).to.equal(DEV_ADDRESS_0);
    expect(genesisBalances(spec).size).to.equal(10);
  });

  it("funds extra accounts (a bank's HSM address) with the balance given", () => {
    const hsm = "0x1111111111111111111111111111111111111111";
    const spec = parseDevnetSpec({ accounts: [{ address: hsm, balance: "1000", comment: "Alpha HSM" }] });
    expect(genesisBalances(spec).get(hsm)).to.equal(1000n);
  });

  it("refuses a network without validators", () => {
    expectDevnetError(() => parseDevnetSpec({ validators: 0 }), "DEVNET_SPEC_INVALID", "validators");
  });

  it("refuses p2p and RPC port ranges that overlap", () => {
    expectDevnetError(() => parseDevnetSpec({ basePorts: { p2p: 8546, rpc: 8545 } }), "DEVNET_SPEC_INVALID", "overlap");
  });

  it("refuses an unknown client by name", () => {
    expectDevnetError(() => parseDevnetSpec({ client: "geth-classic" }), "DEVNET_CLIENT_UNKNOWN", "geth-classic");
  });

  it("refuses an unknown field instead of ignoring it", () => {
    expectDevnetError(() => parseDevnetSpec({ validator: 4 }), "DEVNET_SPEC_INVALID");
  });

  it("refuses node keys that do not match the number of validators", () => {
    expectDevnetError(() => parseDevnetSpec({ validators: 2, nodeKeys: [DEV_KEY_0] }), "DEVNET_SPEC_INVALID");
  });
});

describe("devnet: node keys", () => {
  it("derives the address and enode id of a known key, with or without 0x", () => {
    const key = nodeKeyFromHex(DEV_KEY_0);
    expect(key.address).to.equal(DEV_ADDRESS_0);
    expect(key.publicKey).to.match(/^[0-9a-f]{128}$/);
    expect(nodeKeyFromHex(DEV_KEY_0.slice(2))).to.deep.equal(key);
  });

  it("refuses a key that is not 32 bytes of hex", () => {
    expectDevnetError(() => nodeKeyFromHex("0x1234"), "DEVNET_KEY_INVALID", "64 hex digits");
    expectDevnetError(() => nodeKeyFromHex(`0x${"zz".repeat(32)}`), "DEVNET_KEY_INVALID");
  });

  it("refuses zero and keys at or above the curve order", () => {
    expectDevnetError(() => nodeKeyFromHex(`0x${"00".repeat(32)}`), "DEVNET_KEY_INVALID", "secp256k1 range");
    const n = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    expectDevnetError(() => nodeKeyFromHex(n), "DEVNET_KEY_INVALID", "secp256k1 range");
  });
});
