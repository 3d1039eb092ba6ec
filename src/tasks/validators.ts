/**
 * `validators:*`: the QBFT validator set of a network in contract validator selection mode (the `ValidatorSet`
 * contract the devnet's genesis predeploys). `validators:bind` binds the set's governor to the recorded consortium,
 * once, signed by the binder the genesis names; `validators:list` shows the set, its governor and its binder.
 * Changes to the set are proposals like every other shared parameter:
 * `proposal:propose --kind add-validator|remove-validator --validator <address>`.
 */
import { getAddress, isAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { ChainStateError, ErrorCode, TaskInputError } from "../errors";
import { loadContext, resolveSigner, send } from "./context";
import { commandTask } from "./define";
import type { Output } from "./output";
import { DEFAULT_VALIDATOR_SET } from "./proposal-actions";

interface ListArgs {
  validatorSet?: string;
  json: boolean;
}

interface BindArgs extends ListArgs {
  from?: string;
  consortium?: string;
}

async function validatorSet(hre: HardhatRuntimeEnvironment, ref: string | undefined) {
  const address: string = ref ?? DEFAULT_VALIDATOR_SET;
  if (!isAddress(address)) {
    throw new TaskInputError(ErrorCode.InputInvalid, `--validator-set ${ref}: not an address`, {
      flag: "validatorSet",
      value: ref,
    });
  }
  if ((await hre.ethers.provider.getCode(address)) === "0x") {
    throw new ChainStateError(
      ErrorCode.DeploymentNotFound,
      `no validator set contract at ${address} on ${hre.network.name} (a network in contract validator selection ` +
        `mode predeploys one; see devnet spec "validatorSelection")`,
      { network: hre.network.name, validatorSet: address },
    );
  }
  return hre.ethers.getContractAt("ValidatorSet", getAddress(address));
}

async function describe(out: Output, set: Awaited<ReturnType<typeof validatorSet>>) {
  const [validators, governor, binder] = await Promise.all([set.getValidators(), set.governor(), set.binder()]);
  const bound = BigInt(governor) !== 0n;
  out.line(`Validator set ${await set.getAddress()}: ${validators.length} validators`);
  for (const v of validators) out.line(`  ${v}`);
  out.line(bound ? `  governor ${governor} (binder ${binder})` : `  governor not bound yet (binder ${binder})`);
  return {
    validatorSet: await set.getAddress(),
    validators: [...validators],
    governor: bound ? governor : null,
    binder,
  };
}

commandTask(
  "validators:list",
  "Show the QBFT validator set contract: its validators, governor and binder",
  (t) => t.addOptionalParam("validatorSet", "The ValidatorSet contract (default 0x…7777, where the devnet puts it)"),
  async (args: ListArgs, out, hre) => out.result(await describe(out, await validatorSet(hre, args.validatorSet))),
);

commandTask(
  "validators:bind",
  "Bind the validator set's governor to the recorded consortium, once (signed by the binder the genesis names)",
  (t) =>
    t
      .addOptionalParam("validatorSet", "The ValidatorSet contract (default 0x…7777, where the devnet puts it)")
      .addOptionalParam("from", "The binder: signer index or address (default 0, the development deployer)")
      .addOptionalParam("consortium", "Which recorded consortium, when several are"),
  async (args: BindArgs, out, hre) => {
    const set = await validatorSet(hre, args.validatorSet);
    const ctx = await loadContext(hre, args.consortium);
    const binder = await resolveSigner(hre, args.from);
    const receipt = await send(set.connect(binder).bindGovernor(ctx.record.consortium));
    out.line(`Bound the validator set's governor to consortium "${ctx.record.name}" (${ctx.record.consortium}).`);
    return out.result({ ...(await describe(out, set)), transactionHash: receipt.hash });
  },
);
