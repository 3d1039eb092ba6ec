/**
 * The consortium governs the QBFT validator set on a real client (contract validator selection): runs whenever a
 * client is found (QUORUM_GETH, BESU_HOME, or besu / a GoQuorum geth on PATH) and otherwise says in one line why it
 * is skipped. Four genesis validators read from the predeployed `ValidatorSet` produce blocks; a consortium of three
 * banks with a short timelock is deployed and the set's governor bound to it; a fifth node started beside them is
 * added by an executed proposal, appears in the client's validator set and proposes and seals blocks; a genesis
 * validator is then removed the same way and signs no more. Uses `DEVNET_DIR` when it names a directory that does
 * not exist yet (else a fresh temporary directory), removes it afterwards, and has ports 32303/10545 of its own.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { artifacts } from "hardhat";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, type TransactionReceipt } from "ethers";
import {
  DEV_MNEMONIC,
  initDevnet,
  liveNodes,
  readDevnetState,
  rpcCall,
  startDevnet,
  stopDevnet,
  VALIDATOR_CONTRACT_ADDRESS,
  validatorsOf,
  type DevnetClient,
  type NodeState,
} from "../../src/devnet";
import { clientOrSkip } from "./harness";
import { Consortium__factory, ValidatorSet__factory, type Consortium } from "../../typechain-types";
import { LEIS, NAMES } from "../fixtures";

const CHAIN_ID = 7312;
const SPEC = {
  chainId: CHAIN_ID,
  validators: 4,
  standbyNodes: 1,
  validatorSelection: "contract",
  basePorts: { p2p: 32303, rpc: 10545 },
  requestTimeoutSeconds: 4,
};
/** The consortium's timelock on the devnet: short, so that the suite waits it out for real. */
const PROPOSAL_DELAY_S = 3;
/** Bounds on waiting for something the network must do; reaching one fails the test, it never passes it. */
const PROGRESS_DEADLINE_MS = 90_000;
const LEGACY = { type: 0, gasPrice: 0 };

interface Signers {
  author: string;
  /** null where the client has no API for a block's committers (Besu). */
  committers: string[] | null;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + PROGRESS_DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) expect.fail(`${what}: not within ${PROGRESS_DEADLINE_MS} ms`);
    await sleep(250);
  }
}

describe("devnet: the consortium governs the validator set on a real QBFT client", function () {
  this.timeout(900_000);
  let client: DevnetClient;
  let dir: string;
  let provider: JsonRpcProvider;
  let consortium: Consortium;
  const key = (i: number) =>
    HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${i}`).connect(provider);
  /** Operators of the three banks: development accounts 1, 2 and 3. */
  const operator = (bank: number) => key(1 + bank);

  const nodes = (): NodeState[] => readDevnetState(dir)?.nodes ?? [];
  const head = async (node: NodeState) => Number(await rpcCall<string>(node.rpcUrl, "eth_blockNumber", [], 5_000));

  async function signersOf(node: NodeState, block: number): Promise<Signers> {
    const tag = `0x${block.toString(16)}`;
    if (node.client === "goquorum") {
      // GoQuorum's BlockSigners has no JSON tags: its fields keep their Go names.
      const s = await rpcCall<{ Author: string; Committers: string[] }>(
        node.rpcUrl,
        "istanbul_getSignersFromBlock",
        [tag],
        5_000,
      );
      return { author: s.Author.toLowerCase(), committers: s.Committers.map((c) => c.toLowerCase()) };
    }
    // QBFT sets the block's beneficiary to its proposer on both clients.
    const b = await rpcCall<{ miner: string }>(node.rpcUrl, "eth_getBlockByNumber", [tag, false], 5_000);
    return { author: b.miner.toLowerCase(), committers: null };
  }

  /** Proposes `setValidator`, approves it to quorum, waits out the timelock and executes it. */
  async function enactValidatorChange(validator: string, enabled: boolean): Promise<TransactionReceipt> {
    const data = consortium.interface.encodeFunctionData("setValidator", [
      VALIDATOR_CONTRACT_ADDRESS,
      validator,
      enabled,
    ]);
    const description = `${enabled ? "add" : "remove"} QBFT validator ${validator}`;
    const proposed = await (await consortium.connect(operator(0)).propose(data, description, LEGACY)).wait();
    const created = proposed?.logs
      .map((log) => consortium.interface.parseLog(log))
      .find((log) => log?.name === "ProposalCreated");
    const id = created?.args.proposalId as bigint;
    await (await consortium.connect(operator(1)).approve(id, LEGACY)).wait();
    const { eta } = await consortium.proposal(id);
    expect(eta, "two of three banks queue the proposal").to.not.equal(0n);
    // The timelock runs on block time: execute once a block is at or past the eta.
    await waitFor("the timelock to pass", async () => {
      const latest = await provider.getBlock("latest");
      return latest !== null && BigInt(latest.timestamp) >= eta ? true : undefined;
    });
    const receipt = await (await consortium.connect(operator(2)).execute(id, LEGACY)).wait();
    if (receipt === null) expect.fail("execute has no receipt");
    return receipt;
  }

  function validatorEvents(receipt: TransactionReceipt): { name: string; validator: string }[] {
    const iface = ValidatorSet__factory.createInterface();
    return receipt.logs
      .filter((log) => log.address.toLowerCase() === VALIDATOR_CONTRACT_ADDRESS)
      .map((log) => iface.parseLog(log))
      .filter((log) => log !== null)
      .map((log) => ({ name: log.name, validator: (log.args[0] as string).toLowerCase() }));
  }

  before(async function () {
    client = await clientOrSkip(this, "validator governance suite");
    // DEVNET_DIR only when it names a directory that does not exist yet: the suite never replaces a devnet.
    const configured = process.env.DEVNET_DIR;
    dir =
      configured !== undefined && configured !== "" && !existsSync(configured)
        ? path.resolve(configured)
        : await mkdtemp(path.join(os.tmpdir(), "devnet-validators-"));
    console.log(`    devnet in ${dir} (if this run is killed: DEVNET_DIR=${dir} npx hardhat devnet:stop)`);
    const code = (await artifacts.readArtifact("ValidatorSet")).deployedBytecode;
    await initDevnet(dir, SPEC, { validatorSetCode: code });
  });

  after(async function () {
    if (dir === undefined) return;
    provider?.destroy();
    await stopDevnet(dir);
    const state = readDevnetState(dir);
    expect(state === undefined ? [] : liveNodes(dir, state)).to.deep.equal([]);
    await rm(dir, { recursive: true, force: true });
  });

  it("starts four genesis validators that the client reads from the predeployed contract", async () => {
    for (const node of nodes().slice(0, 4)) await startDevnet(dir, { node: node.index });
    const first = nodes()[0];
    provider = new JsonRpcProvider(first.rpcUrl, undefined, { pollingInterval: 100 });
    const from = await head(first);
    await waitFor("blocks from the four validators", async () => ((await head(first)) > from + 1 ? true : undefined));
    const genesisSet = readDevnetState(dir)?.validators ?? [];
    expect(genesisSet).to.have.length(4);
    for (const node of nodes().slice(0, 4))
      expect(await validatorsOf(node, 5_000), node.name).to.deep.equal(genesisSet);
    const set = ValidatorSet__factory.connect(VALIDATOR_CONTRACT_ADDRESS, provider);
    expect((await set.getValidators()).map((v) => v.toLowerCase()).sort()).to.deep.equal(genesisSet);
    console.log(
      `    ${client.kind} ${client.version}: 4 validators from the contract at ${VALIDATOR_CONTRACT_ADDRESS}`,
    );
  });

  it("deploys a three-bank consortium and binds the validator set's governor to it, once", async () => {
    const deployer = key(0); // the binder the genesis names (the first development account)
    consortium = await (
      await new Consortium__factory(deployer).deploy(
        [0, 1, 2].map((bank) => ({
          name: NAMES[bank],
          lei: LEIS[bank],
          operators: [operator(bank).address],
          accounts: [key(4 + bank).address],
        })),
        {
          reversalWindow: 3600,
          affirmationWindow: 3600,
          proposalDelay: PROPOSAL_DELAY_S,
          proposalLifetime: 3600,
          documentHash: `0x${"11".repeat(32)}`,
          documentUri: "ipfs://devnet-policy",
        },
        LEGACY,
      )
    ).waitForDeployment();
    await (await consortium.completeBootstrap(LEGACY)).wait();
    const set = ValidatorSet__factory.connect(VALIDATOR_CONTRACT_ADDRESS, deployer);
    expect(await set.binder()).to.equal(deployer.address);
    await (await set.bindGovernor(await consortium.getAddress(), LEGACY)).wait();
    expect(await set.governor()).to.equal(await consortium.getAddress());
    // From now on not even the binder changes the set or the binding.
    await expect(set.bindGovernor.staticCall(deployer.address)).to.be.rejectedWith("ValidatorSetGovernorAlreadyBound");
    await expect(set.addValidator.staticCall(deployer.address)).to.be.rejectedWith("ValidatorSetOnlyGovernor");
  });

  it("adds a fifth node by an executed proposal; the client's set includes it and it proposes and seals blocks", async () => {
    const fifth = nodes()[4];
    const address = fifth.address.toLowerCase();
    await startDevnet(dir, { node: 4 });
    const first = nodes()[0];
    await waitFor("the fifth node to sync", async () =>
      (await head(nodes()[4])) >= (await head(first)) - 1 ? true : undefined,
    );
    expect(await validatorsOf(nodes()[4], 5_000)).not.to.include(address);

    const began = Date.now();
    const receipt = await enactValidatorChange(address, true);
    expect(validatorEvents(receipt)).to.deep.equal([{ name: "ValidatorAdded", validator: address }]);
    for (const node of nodes()) {
      await waitFor(`${node.name} to list the fifth validator`, async () =>
        (await validatorsOf(node, 5_000)).includes(address) ? true : undefined,
      );
    }
    // The set applies from the block after the execution: look there for the new validator's proposal and seal.
    let proposedBlock: number | undefined;
    let sealedBlock: number | undefined;
    let next = receipt.blockNumber + 1;
    await waitFor("a block proposed and a block sealed by the fifth validator", async () => {
      for (const latest = await head(first); next <= latest; next++) {
        const signers = await signersOf(first, next);
        if (proposedBlock === undefined && signers.author === address) proposedBlock = next;
        // A block carries the first quorum of commit seals its node received, not necessarily every validator's.
        const sealedByIt = signers.committers === null || signers.committers.includes(address);
        if (sealedBlock === undefined && sealedByIt) sealedBlock = next;
      }
      return proposedBlock !== undefined && sealedBlock !== undefined ? true : undefined;
    });
    console.log(
      `    5th validator added at block ${receipt.blockNumber}, sealed block ${sealedBlock}, proposed block ` +
        `${proposedBlock}; ${((Date.now() - began) / 1000).toFixed(1)} s from proposal to its first proposed block`,
    );
  });

  it("removes a genesis validator by an executed proposal; it signs no more and blocks continue", async () => {
    const removed = nodes()[1];
    const address = removed.address.toLowerCase();
    const receipt = await enactValidatorChange(address, false);
    expect(validatorEvents(receipt)).to.deep.equal([{ name: "ValidatorRemoved", validator: address }]);
    for (const node of nodes()) {
      await waitFor(`${node.name} to drop the removed validator`, async () =>
        (await validatorsOf(node, 5_000)).includes(address) ? undefined : true,
      );
    }
    expect(await validatorsOf(nodes()[0], 5_000)).to.have.length(4);
    // The set changes from the block after the one that executed the proposal.
    const from = receipt.blockNumber + 1;
    const first = nodes()[0];
    await waitFor("eight more blocks", async () => ((await head(first)) >= from + 8 ? true : undefined));
    for (let n = from; n <= from + 8; n++) {
      const signers = await signersOf(first, n);
      expect(signers.author, `block ${n}`).to.not.equal(address);
      if (signers.committers !== null) expect(signers.committers, `block ${n}`).to.not.include(address);
    }
  });
});
