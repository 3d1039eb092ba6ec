/**
 * Decoding a failed transaction into the contract's custom error, with readable arguments: enum members by
 * name (`status=Settled`), settlement ids in hex, strings quoted. ABIs come from Hardhat's artifacts, which
 * keep each parameter's `internalType` (and so which integers are enums).
 */
import { AbiCoder, Interface, type ErrorFragment } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { ContractRevertError, type RevertArgument } from "../errors";
import { formatSettlementId, STATUS_NAMES } from "../settlement";

/** Contracts whose custom errors tasks meet (the engine bubbles up token errors; the consortium, the set's). */
const CONTRACTS = ["SettlementEngine", "Consortium", "PermissionedToken", "ValidatorSet"] as const;

const ENUMS: Record<string, readonly string[]> = {
  Status: STATUS_NAMES,
  ProposalState: ["None", "Pending", "Executed", "Cancelled"],
  Parameter: ["ReversalWindow", "AffirmationWindow", "ProposalDelay", "ProposalLifetime"],
  Kind: ["DvP", "FoP"],
};

/** uint40 arguments that are block timestamps, shown with their date. */
const TIME_ARGS = new Set(["eta", "deadline", "finalAt", "expiresAt"]);

const ERROR_STRING = "0x08c379a0";
const PANIC = "0x4e487b71";

interface AbiParam {
  name: string;
  type: string;
  internalType?: string;
}

/** Turns an error thrown by a contract call into a `ContractRevertError`, or undefined if it carries none. */
export type RevertDecoder = (error: unknown) => ContractRevertError | undefined;

/** A decoder that knows the custom errors of the consortium, the engine and the token. */
export function revertDecoder(hre: HardhatRuntimeEnvironment): RevertDecoder {
  const sources = CONTRACTS.map((name) => {
    const abi = hre.artifacts.readArtifactSync(name).abi as { type: string; name?: string; inputs?: AbiParam[] }[];
    return { iface: new Interface(abi), abi };
  });
  return (error: unknown) => {
    const data = findRevertData(error);
    if (data === undefined) return undefined;
    if (data.startsWith(ERROR_STRING)) {
      const [reason] = AbiCoder.defaultAbiCoder().decode(["string"], `0x${data.slice(10)}`);
      return new ContractRevertError("Error", [{ name: "reason", value: JSON.stringify(reason) }], error);
    }
    if (data.startsWith(PANIC)) {
      const [code] = AbiCoder.defaultAbiCoder().decode(["uint256"], `0x${data.slice(10)}`);
      return new ContractRevertError("Panic", [{ name: "code", value: `0x${(code as bigint).toString(16)}` }], error);
    }
    for (const { iface, abi } of sources) {
      const parsed = safeParse(iface, data);
      if (parsed === undefined) continue;
      const raw = abi.find((e) => e.type === "error" && e.name === parsed.name)?.inputs ?? [];
      const args = parsed.fragment.inputs.map((input, i): RevertArgument => ({
        name: input.name || `arg${i}`,
        value: formatArg(parsed.args[i], input.type, input.name, raw[i]?.internalType),
      }));
      return new ContractRevertError(parsed.name, args, error);
    }
    return new ContractRevertError("UnknownError", [{ name: "data", value: data }], error);
  };
}

function safeParse(
  iface: Interface,
  data: string,
): { name: string; fragment: ErrorFragment; args: readonly unknown[] } | undefined {
  try {
    return iface.parseError(data) ?? undefined;
  } catch {
    return undefined;
  }
}

function formatArg(value: unknown, type: string, name: string, internalType: string | undefined): string {
  const enumName = internalType?.startsWith("enum ") === true ? internalType.split(".").pop() : undefined;
  const members = enumName === undefined ? undefined : ENUMS[enumName];
  if (members !== undefined) return members[Number(value)] ?? String(value);
  if (type === "uint256" && name === "id") return formatSettlementId(value as bigint);
  if (TIME_ARGS.has(name) && Number(value) > 0) {
    return `${String(value)} (${new Date(Number(value) * 1000).toISOString().replace(/\.\d+Z$/, "Z")})`;
  }
  if (type === "string") return JSON.stringify(value);
  return String(value);
}

/** The revert data of a failed call, looked for where ethers and Hardhat put it (`data`, nested errors). */
export function findRevertData(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== "object" || depth > 5) return undefined;
  const record = error as Record<string, unknown>;
  const data = record.data;
  if (typeof data === "string" && /^0x[0-9a-fA-F]{8}([0-9a-fA-F]{2})*$/.test(data)) return data;
  if (data !== null && typeof data === "object") {
    const nested = findRevertData(data, depth + 1);
    if (nested !== undefined) return nested;
  }
  for (const key of ["error", "info", "cause", "parent"]) {
    const nested = findRevertData(record[key], depth + 1);
    if (nested !== undefined) return nested;
  }
  return undefined;
}
