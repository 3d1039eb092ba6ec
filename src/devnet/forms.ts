/**
 * The file forms each client reads, built from one spec and one set of node keys.
 *
 * Besu (as its documentation shows them): a genesis with `config.qbft` {`blockperiodseconds`, `epochlength`,
 * `requesttimeoutseconds`}, `berlinBlock` and `londonBlock` at 0 with `zeroBaseFee` (free gas after London),
 * `contractSizeLimit`, difficulty 1 and the QBFT mixHash; a `key` file holding the node key as 0x hex; a TOML
 * configuration whose keys are the command line options without `--`; a static-nodes file (JSON list of enodes).
 *
 * GoQuorum: a genesis with `isQuorum`, every fork up to Berlin at block 0 (its EVM stops at Berlin, no base fee)
 * and `config.qbft` with its own keys (`emptyblockperiodseconds`, `policy`, `ceil2Nby3Block`); `geth/nodekey`
 * holding the key as hex without 0x; `static-nodes.json` with `?discport=0` enodes.
 *
 * Both share the extraData: zero vanity, the validators in ascending order, no vote, round 0, no seals.
 *
 * Contract validator selection (spec `validatorSelection: "contract"`): the extraData lists no validators, the
 * `ValidatorSet` contract is predeployed in `alloc` with the validators in its storage, and the clients are pointed
 * at it: Besu by `config.qbft.validatorcontractaddress` (the form of its documentation, with the alloc entry's
 * `comment`, `balance`, `code`, `storage` and `version`), GoQuorum by a `config.transitions` entry from block 0 with
 * `validatorselectionmode: "contract"` and `validatorcontractaddress`.
 */
import { encodeQbftExtraData } from "./extra-data";
import { enodeUrl, type NodeKey } from "./keys";
import { genesisBalances, type DevnetSpec } from "./spec";
import type { ValidatorContractGenesis } from "./validator-set";

/** The QBFT mixHash ("Istanbul BFT" digest) every QBFT genesis carries. */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";
/** The largest block gas limit tooling accepts; gas is free, blocks are limited by time. */
export const FREE_GAS_LIMIT = "0x1fffffffffffff";
/** Besu's maximum contract size, as its free-gas guide sets it. */
export const MAX_CONTRACT_SIZE = 2147483647;

/** One node of the network. */
export interface NodePlan {
  index: number;
  /** `node-<index>`: its directory under the state dir. */
  name: string;
  key: NodeKey;
  host: string;
  p2pPort: number;
  rpcPort: number;
  rpcUrl: string;
}

/** Each validator's ports and URL, from the spec's base ports. */
export function planNodes(spec: DevnetSpec, keys: readonly NodeKey[]): NodePlan[] {
  return keys.map((key, index) => ({
    index,
    name: `node-${index}`,
    key,
    host: spec.host,
    p2pPort: spec.basePorts.p2p + index,
    rpcPort: spec.basePorts.rpc + index,
    rpcUrl: `http://${spec.host}:${spec.basePorts.rpc + index}`,
  }));
}

/** The validator addresses as the genesis lists them: ascending, lower-case. */
export function genesisValidators(nodes: readonly Pick<NodePlan, "key">[]): string[] {
  return nodes.map((n) => n.key.address.toLowerCase()).sort();
}

function alloc(spec: DevnetSpec, withPrefix: boolean): Record<string, { balance: string }> {
  const entries = [...genesisBalances(spec)].map(([address, wei]) => [
    withPrefix ? address : address.slice(2),
    { balance: `0x${wei.toString(16)}` },
  ]);
  return Object.fromEntries(entries) as Record<string, { balance: string }>;
}

const genesisBlock = (extraData: string) => ({
  nonce: "0x0",
  timestamp: "0x0",
  extraData,
  gasLimit: FREE_GAS_LIMIT,
  difficulty: "0x1",
  mixHash: QBFT_MIX_HASH,
  coinbase: "0x0000000000000000000000000000000000000000",
});

/** The genesis extraData: the validators in block header mode, none in contract mode. */
function extraData(validators: readonly string[], contract: ValidatorContractGenesis | undefined): string {
  return encodeQbftExtraData(contract === undefined ? validators : []);
}

/** The predeployed validator set as an alloc entry (Besu's documented form; GoQuorum reads the same keys). */
function contractAlloc(contract: ValidatorContractGenesis): Record<string, Record<string, unknown>> {
  return {
    [contract.address]: {
      comment: "validator smart contract",
      balance: "0",
      code: contract.code,
      storage: contract.storage,
      version: "0x01",
    },
  };
}

/**
 * Besu's QBFT genesis: block header validator selection, or contract validator selection when `contract` (the
 * predeployed validator set, see `validatorContractGenesis`) is given.
 */
export function besuGenesis(
  spec: DevnetSpec,
  validators: readonly string[],
  contract?: ValidatorContractGenesis,
): Record<string, unknown> {
  return {
    config: {
      chainId: spec.chainId,
      berlinBlock: 0,
      londonBlock: 0,
      zeroBaseFee: true,
      contractSizeLimit: MAX_CONTRACT_SIZE,
      qbft: {
        blockperiodseconds: spec.blockPeriodSeconds,
        epochlength: spec.epochLength,
        requesttimeoutseconds: spec.requestTimeoutSeconds,
        ...(contract === undefined ? {} : { validatorcontractaddress: contract.address }),
      },
    },
    ...genesisBlock(extraData(validators, contract)),
    alloc: { ...alloc(spec, false), ...(contract === undefined ? {} : contractAlloc(contract)) },
  };
}

/** GoQuorum's QBFT genesis; with `contract`, contract validator selection from block 0 (a transition). */
export function goQuorumGenesis(
  spec: DevnetSpec,
  validators: readonly string[],
  contract?: ValidatorContractGenesis,
): Record<string, unknown> {
  return {
    config: {
      chainId: spec.chainId,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      muirGlacierBlock: 0,
      berlinBlock: 0,
      isQuorum: true,
      qbft: {
        epochlength: spec.epochLength,
        blockperiodseconds: spec.blockPeriodSeconds,
        emptyblockperiodseconds: spec.emptyBlockPeriodSeconds,
        requesttimeoutseconds: spec.requestTimeoutSeconds,
        policy: 0,
        ceil2Nby3Block: 0,
      },
      ...(contract === undefined
        ? {}
        : {
            transitions: [{ block: 0, validatorselectionmode: "contract", validatorcontractaddress: contract.address }],
          }),
    },
    ...genesisBlock(extraData(validators, contract)),
    alloc: { ...alloc(spec, true), ...(contract === undefined ? {} : contractAlloc(contract)) },
    number: "0x0",
    gasUsed: "0x0",
    parentHash: `0x${"00".repeat(32)}`,
  };
}

/** The static-nodes list of a client (every validator, itself included: clients skip their own enode). */
export function staticNodes(nodes: readonly NodePlan[], client: "besu" | "goquorum"): string[] {
  return nodes.map((n) => enodeUrl(n.key, n.host, n.p2pPort, client === "goquorum"));
}

/** Where a Besu node's files are, as its TOML names them. */
export interface BesuPaths {
  dataPath: string;
  genesisFile: string;
  keyFile: string;
  staticNodesFile: string;
}

/** A Besu node's TOML configuration file: the command line options, without `--`, one a line. */
export function besuNodeToml(node: NodePlan, paths: BesuPaths): string {
  const str = (value: string) => JSON.stringify(value);
  return [
    `# Besu QBFT validator ${node.name} (${node.key.address})`,
    `data-path=${str(paths.dataPath)}`,
    `genesis-file=${str(paths.genesisFile)}`,
    `node-private-key-file=${str(paths.keyFile)}`,
    `static-nodes-file=${str(paths.staticNodesFile)}`,
    `profile="ENTERPRISE"`,
    `discovery-enabled=false`,
    `p2p-host=${str(node.host)}`,
    `p2p-port=${node.p2pPort}`,
    `rpc-http-enabled=true`,
    `rpc-http-host=${str(node.host)}`,
    `rpc-http-port=${node.rpcPort}`,
    `rpc-http-api=["ETH","NET","WEB3","QBFT","TXPOOL","ADMIN"]`,
    `host-allowlist=["localhost","127.0.0.1"]`,
    `min-gas-price=0`,
    "",
  ].join("\n");
}
