/**
 * Contract validator selection in the genesis of both clients. Besu's form is compared with the contract validator
 * selection example of its QBFT documentation (`config.qbft.validatorcontractaddress`, extraData without
 * validators, the alloc entry with `comment`, `balance`, `code`, `storage`, `version`); GoQuorum's with the
 * `transitions` form its v24.4.1 source reads (`validatorselectionmode: "contract"`, `validatorcontractaddress`).
 * The predeployed storage is checked against the storage the `ValidatorSet` constructor writes.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers, network, artifacts } from "hardhat";
import {
  besuGenesis,
  decodeQbftExtraData,
  devAccountAddresses,
  genesisValidators,
  goQuorumGenesis,
  initDevnet,
  nodeKeyFromHex,
  parseDevnetSpec,
  planNodes,
  VALIDATOR_CONTRACT_ADDRESS,
  validatorContractGenesis,
  validatorSetStorage,
  type DevnetSpecInput,
} from "../../src/devnet";
import { runHuman } from "../tasks/helpers";
import { expectDevnetError } from "./spec.test";

const KEYS = [
  "0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63",
  "0xc87509a1c067bbde78beb793e6fa76530b6382a4c0241e5e4a9ec0a0f44dc0d3",
  "0xae6ae8e5ccbfb04590405997ee2d52d2b330726137b875053c36d94e974d162f",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];
/** The extraData of Besu's contract validator selection example: zero vanity, no validators, no vote, round 0. */
const BESU_DOC_CONTRACT_EXTRA_DATA = "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0";
const PORTS = { p2p: 32303, rpc: 10545 };

async function runtimeCode(): Promise<string> {
  return (await artifacts.readArtifact("ValidatorSet")).deployedBytecode;
}

async function contractFixture(input: DevnetSpecInput = {}) {
  const spec = parseDevnetSpec({ validatorSelection: "contract", chainId: 4242, basePorts: PORTS, ...input });
  const nodes = planNodes(
    spec,
    KEYS.slice(0, 4).map((k) => nodeKeyFromHex(k)),
  );
  const validators = genesisValidators(nodes);
  const contract = validatorContractGenesis(spec, validators, await runtimeCode());
  if (contract === undefined) throw new Error("contract mode yields a contract");
  return { spec, validators, contract };
}

type Genesis = {
  config: Record<string, unknown> & { qbft: Record<string, unknown> };
  alloc: Record<string, Record<string, unknown>>;
  extraData: string;
};

describe("devnet: contract validator selection genesis", () => {
  it("keeps block header selection the default, with no contract and the validators in extraData", async () => {
    const spec = parseDevnetSpec({});
    expect(spec.validatorSelection).to.equal("blockheader");
    expect(spec.standbyNodes).to.equal(0);
    const nodes = planNodes(
      spec,
      KEYS.slice(0, 4).map((k) => nodeKeyFromHex(k)),
    );
    const validators = genesisValidators(nodes);
    expect(validatorContractGenesis(spec, validators, await runtimeCode())).to.equal(undefined);
    const besu = besuGenesis(spec, validators) as Genesis;
    const quorum = goQuorumGenesis(spec, validators) as Genesis;
    expect(besu.config.qbft).not.to.have.property("validatorcontractaddress");
    expect(quorum.config).not.to.have.property("transitions");
    expect(decodeQbftExtraData(besu.extraData).validators).to.have.length(4);
  });

  it("writes Besu's documented form: validatorcontractaddress, extraData without validators, the alloc entry", async () => {
    const { spec, validators, contract } = await contractFixture();
    const genesis = besuGenesis(spec, validators, contract) as Genesis;
    expect(genesis.config.qbft).to.deep.equal({
      blockperiodseconds: 1,
      epochlength: 30000,
      requesttimeoutseconds: 4,
      validatorcontractaddress: VALIDATOR_CONTRACT_ADDRESS,
    });
    expect(genesis.extraData).to.equal(BESU_DOC_CONTRACT_EXTRA_DATA);
    // "The address must be identical to the address in the alloc section."
    const entry = genesis.alloc[VALIDATOR_CONTRACT_ADDRESS];
    expect(Object.keys(entry)).to.deep.equal(["comment", "balance", "code", "storage", "version"]);
    expect(entry).to.include({ comment: "validator smart contract", balance: "0", version: "0x01" });
    expect(entry.code).to.equal((await runtimeCode()).toLowerCase());
    for (const [slot, value] of Object.entries(entry.storage as Record<string, string>)) {
      expect(slot, "storage keys as in the example: 64 hex digits, no 0x").to.match(/^[0-9a-f]{64}$/);
      expect(value).to.match(/^[0-9a-f]{64}$/);
    }
  });

  it("writes GoQuorum's form: a transition from block 0 to contract mode at the predeployed address", async () => {
    const { spec, validators, contract } = await contractFixture();
    const genesis = goQuorumGenesis(spec, validators, contract) as Genesis;
    expect(genesis.config.transitions).to.deep.equal([
      { block: 0, validatorselectionmode: "contract", validatorcontractaddress: VALIDATOR_CONTRACT_ADDRESS },
    ]);
    expect(genesis.config.qbft).not.to.have.property("validatorcontractaddress");
    expect(genesis.extraData).to.equal(BESU_DOC_CONTRACT_EXTRA_DATA);
    expect(genesis.alloc[VALIDATOR_CONTRACT_ADDRESS]).to.deep.equal(
      (besuGenesis(spec, validators, contract) as Genesis).alloc[VALIDATOR_CONTRACT_ADDRESS],
    );
  });

  it("stores exactly what the ValidatorSet constructor writes, for the genesis validators and the binder", async () => {
    const { validators, contract } = await contractFixture();
    const binder = devAccountAddresses()[0];
    const deployed = await ethers.deployContract("ValidatorSet", [validators, binder]);
    const at = await deployed.getAddress();
    expect(await ethers.provider.getCode(at)).to.equal(contract.code);
    for (const [slot, value] of Object.entries(contract.storage)) {
      expect(await ethers.provider.getStorage(at, `0x${slot}`), `slot ${slot}`).to.equal(`0x${value}`);
    }
    // Slot 1 (the governor) stays empty until bound.
    expect(Object.keys(contract.storage)).not.to.include(ethers.toBeHex(1, 32).slice(2));
  });

  it("answers getValidators and is governed once bound, from the predeployed code and storage alone", async () => {
    const { validators, contract } = await contractFixture();
    const address = ethers.getAddress(`0x${"77".repeat(20)}`);
    await network.provider.send("hardhat_setCode", [address, contract.code]);
    for (const [slot, value] of Object.entries(contract.storage)) {
      await network.provider.send("hardhat_setStorageAt", [address, `0x${slot}`, `0x${value}`]);
    }
    const set = await ethers.getContractAt("ValidatorSet", address);
    expect((await set.getValidators()).map((v) => v.toLowerCase())).to.deep.equal(validators);
    const [binder] = await ethers.getSigners();
    expect(await set.binder()).to.equal(binder.address); // the first development account
    expect(await set.isValidator(validators[2])).to.equal(true);
    // The positions mapping is right: the binder binds a governor, which removes a validator and adds one.
    const governor = await ethers.deployContract("PlainERC20", ["Governor", "GOV"]);
    await set.bindGovernor(await governor.getAddress());
    await network.provider.send("hardhat_impersonateAccount", [await governor.getAddress()]);
    await network.provider.send("hardhat_setBalance", [await governor.getAddress(), "0xde0b6b3a7640000"]);
    const asGovernor = await ethers.getSigner(await governor.getAddress());
    await set.connect(asGovernor).removeValidator(validators[0]);
    await set.connect(asGovernor).addValidator(validators[0]);
    expect((await set.getValidators()).map((v) => v.toLowerCase())).to.have.members(validators);
    await network.provider.send("hardhat_stopImpersonatingAccount", [await governor.getAddress()]);
  });

  it("takes the binder from the spec", async () => {
    const binder = ethers.getAddress(`0x${"ab".repeat(20)}`);
    const { contract } = await contractFixture({ validatorContract: { binder } });
    expect(contract.storage[ethers.toBeHex(0, 32).slice(2)]).to.equal(
      ethers.zeroPadValue(binder, 32).slice(2).toLowerCase(),
    );
  });

  it("lays out the storage of a known set as Solidity does (array from keccak256(2), positions at keccak256(a . 3))", () => {
    const a = ethers.getAddress(`0x${"11".repeat(20)}`);
    const storage = validatorSetStorage([a], a);
    const first = ethers.keccak256(ethers.toBeHex(2, 32)).slice(2);
    const position = ethers
      .keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [a, 3]))
      .slice(2);
    expect(storage).to.deep.equal({
      [ethers.toBeHex(0, 32).slice(2)]: `${"00".repeat(12)}${"11".repeat(20)}`,
      [ethers.toBeHex(2, 32).slice(2)]: ethers.toBeHex(1, 32).slice(2),
      [first]: `${"00".repeat(12)}${"11".repeat(20)}`,
      [position]: ethers.toBeHex(1, 32).slice(2),
    });
  });

  it("refuses contract mode without the compiled ValidatorSet", () => {
    const spec = parseDevnetSpec({ validatorSelection: "contract" });
    expectDevnetError(
      () => validatorContractGenesis(spec, [], undefined),
      "DEVNET_VALIDATOR_CONTRACT_MISSING",
      "compile",
    );
  });

  it("refuses an unknown selection mode and a malformed contract address", () => {
    expectDevnetError(
      () => parseDevnetSpec({ validatorSelection: "votes" }),
      "DEVNET_SPEC_INVALID",
      "validatorSelection",
    );
    expectDevnetError(
      () => parseDevnetSpec({ validatorContract: { address: "0x7777" } }),
      "DEVNET_SPEC_INVALID",
      "validatorContract",
    );
  });

  it("refuses node keys that do not cover the standby nodes", () => {
    expectDevnetError(
      () => parseDevnetSpec({ validators: 4, standbyNodes: 1, nodeKeys: KEYS.slice(0, 4) }),
      "DEVNET_SPEC_INVALID",
      "4 node keys for 4 validators and 1 standby nodes",
    );
  });

  describe("init", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "devnet-validators-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("writes both contract-mode geneses and a standby node that is no genesis validator", async () => {
      const spec = { validatorSelection: "contract", standbyNodes: 1, nodeKeys: KEYS, basePorts: PORTS };
      const { state } = await initDevnet(path.join(dir, "net"), spec, { validatorSetCode: await runtimeCode() });
      expect(state.nodes.map((n) => n.name)).to.deep.equal(["node-0", "node-1", "node-2", "node-3", "node-4"]);
      expect(state.nodes[4]).to.include({ p2pPort: 32307, rpcPort: 10549 });
      expect(state.validators).to.have.length(4);
      expect(state.validators).not.to.include(state.nodes[4].address.toLowerCase());
      const besu = JSON.parse(await readFile(path.join(dir, "net", "besu", "genesis.json"), "utf8")) as Genesis;
      const quorum = JSON.parse(await readFile(path.join(dir, "net", "goquorum", "genesis.json"), "utf8")) as Genesis;
      expect(besu.config.qbft.validatorcontractaddress).to.equal(VALIDATOR_CONTRACT_ADDRESS);
      expect(quorum.config.transitions).to.have.length(1);
      const stored = besu.alloc[VALIDATOR_CONTRACT_ADDRESS].storage as Record<string, string>;
      expect(stored[ethers.toBeHex(2, 32).slice(2)]).to.equal(ethers.toBeHex(4, 32).slice(2));
      const staticNodes = JSON.parse(
        await readFile(path.join(dir, "net", "node-0", "goquorum", "static-nodes.json"), "utf8"),
      ) as string[];
      expect(staticNodes).to.have.length(5);
    });

    it("devnet:init predeploys the compiled ValidatorSet and names the standby node and the bind step", async () => {
      const saved = process.env.DEVNET_DIR;
      process.env.DEVNET_DIR = path.join(dir, "task");
      const specFile = path.join(dir, "spec.json");
      await writeFile(specFile, JSON.stringify({ validatorSelection: "contract", standbyNodes: 1, basePorts: PORTS }));
      try {
        const text = await runHuman("devnet:init", { spec: specFile, force: false });
        expect(text).to.include("Standby (not genesis validators): node-4.");
        expect(text).to.include(`Validators from the ValidatorSet contract at ${VALIDATOR_CONTRACT_ADDRESS}`);
        expect(text).to.include("validators:bind");
        const genesis = JSON.parse(await readFile(path.join(dir, "task", "besu", "genesis.json"), "utf8")) as Genesis;
        expect(genesis.alloc[VALIDATOR_CONTRACT_ADDRESS].code).to.equal((await runtimeCode()).toLowerCase());
      } finally {
        if (saved === undefined) delete process.env.DEVNET_DIR;
        else process.env.DEVNET_DIR = saved;
      }
    });

    it("writes nothing when contract mode lacks the compiled contract", async () => {
      const target = path.join(dir, "net");
      await expectDevnetErrorAsync(
        initDevnet(target, { validatorSelection: "contract", basePorts: PORTS }),
        "DEVNET_VALIDATOR_CONTRACT_MISSING",
      );
      await expect(readFile(path.join(target, "state.json"))).to.be.rejected;
    });
  });
});

async function expectDevnetErrorAsync(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as { code?: string }).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}
