/**
 * The `ValidatorSet` contract as the genesis predeploys it for contract validator selection: its runtime bytecode
 * (from the compiled artifact) at a fixed address, with the storage its constructor would have written for the
 * genesis validators and the binder. Slots (see `contracts/governance/ValidatorSet.sol`): 0 the binder, 1 the
 * governor (unset), 2 the validator array, 3 each validator's position (index + 1).
 */
import { AbiCoder, getAddress, keccak256, toBeHex, zeroPadValue } from "ethers";
import { DevnetError } from "./errors";
import { devAccountAddresses, type DevnetSpec } from "./spec";

const SLOT_BINDER = 0n;
const SLOT_VALIDATORS = 2n;
const SLOT_POSITIONS = 3n;

/** The predeployed validator set: where, its code and its storage (keys and values 64 hex digits, no 0x). */
export interface ValidatorContractGenesis {
  address: string;
  code: string;
  storage: Record<string, string>;
}

const word = (value: bigint | string): string =>
  (typeof value === "bigint" ? toBeHex(value, 32) : zeroPadValue(value, 32)).slice(2).toLowerCase();

/** The storage the `ValidatorSet` constructor writes for `validators` (in this order) and `binder`. */
export function validatorSetStorage(validators: readonly string[], binder: string): Record<string, string> {
  const storage: Record<string, string> = {};
  storage[word(SLOT_BINDER)] = word(getAddress(binder));
  storage[word(SLOT_VALIDATORS)] = word(BigInt(validators.length));
  const first = BigInt(keccak256(`0x${word(SLOT_VALIDATORS)}`));
  validators.forEach((validator, i) => {
    storage[word(first + BigInt(i))] = word(getAddress(validator));
    const slot = keccak256(AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [validator, SLOT_POSITIONS]));
    storage[slot.slice(2)] = word(BigInt(i + 1));
  });
  return storage;
}

/** The binder of the spec: the configured account, or the first development account (the deployer). */
export function validatorSetBinder(spec: DevnetSpec): string {
  return getAddress(spec.validatorContract.binder ?? devAccountAddresses()[0]);
}

/**
 * The predeployed contract for a spec in contract mode, or undefined in block header mode. `code` is the compiled
 * `ValidatorSet` runtime bytecode; contract mode without it is refused.
 */
export function validatorContractGenesis(
  spec: DevnetSpec,
  validators: readonly string[],
  code: string | undefined,
): ValidatorContractGenesis | undefined {
  if (spec.validatorSelection !== "contract") return undefined;
  if (code === undefined || !/^0x([0-9a-fA-F]{2})+$/.test(code)) {
    throw new DevnetError(
      "DEVNET_VALIDATOR_CONTRACT_MISSING",
      'contract validator selection needs the compiled ValidatorSet contract: run "npx hardhat compile" first',
      { validatorSelection: spec.validatorSelection },
    );
  }
  return {
    address: spec.validatorContract.address.toLowerCase(),
    code: code.toLowerCase(),
    storage: validatorSetStorage(validators, validatorSetBinder(spec)),
  };
}
