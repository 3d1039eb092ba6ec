/**
 * The QBFT devnet: a small spec (validators, chain id, block period, funded accounts, ports) yields the network
 * files of Besu and GoQuorum (genesis with the QBFT extraData, node keys, node configuration, static nodes); the
 * devnet starts the client found on the machine (`besu` on PATH or `BESU_HOME`, or the GoQuorum geth of
 * `QUORUM_GETH` or PATH), watches it until blocks are produced, reports its health and stops every process it
 * started, recording pids in its state directory (`.devnet/`). The validator set is kept in block headers (default)
 * or, in contract validator selection mode, by the consortium-governed `ValidatorSet` contract predeployed in genesis.
 */
export { findClient, MISSING_CLIENT_MESSAGE, type DevnetClient } from "./client";
export { DevnetError, type DevnetErrorCode } from "./errors";
export {
  decodeQbftExtraData,
  encodeQbftExtraData,
  encodeQbftExtraDataFields,
  type QbftExtraData,
  type QbftVote,
} from "./extra-data";
export {
  besuGenesis,
  besuNodeToml,
  FREE_GAS_LIMIT,
  genesisValidators,
  goQuorumGenesis,
  planNodes,
  QBFT_MIX_HASH,
  staticNodes,
  type BesuPaths,
  type NodePlan,
} from "./forms";
export { DEFAULT_QBFT_URL, qbftNetworkConfig } from "./hardhat";
export { initDevnet, nodeKeysFor, type InitOptions, type InitResult } from "./init";
export { enodeUrl, generateNodeKey, nodeKeyFromHex, type NodeKey } from "./keys";
export {
  devnetStatus,
  startDevnet,
  stopDevnet,
  validatorsOf,
  type DevnetStatus,
  type NodeStatus,
  type StartOptions,
  type StartProgress,
  type StartResult,
} from "./network";
export { assertPortsFree, portFree } from "./ports";
export { liveNodes, nodeCommand, nodeLog } from "./process";
export { rpcCall, RpcCallError } from "./rpc";
export {
  CLIENT_KINDS,
  DEV_ACCOUNT_COUNT,
  DEV_MNEMONIC,
  devAccountAddresses,
  devnetSpecSchema,
  genesisBalances,
  loadDevnetSpec,
  parseDevnetSpec,
  type ClientKind,
  type DevnetSpec,
  type DevnetSpecInput,
  VALIDATOR_CONTRACT_ADDRESS,
  VALIDATOR_SELECTION_MODES,
  type ValidatorSelectionMode,
} from "./spec";
export { devnetDir, readDevnetState, requireDevnetState, type DevnetState, type NodeState } from "./state";
export {
  validatorContractGenesis,
  validatorSetBinder,
  validatorSetStorage,
  type ValidatorContractGenesis,
} from "./validator-set";
