/**
 * One truth with the chain: the consortium's shared parameters as the bank's policy engine reads them, and the
 * deny reasons they add to the bank's own decision.
 *
 * Caps: `Consortium.assetCap(asset)` is the cap on one settlement's amount of a token, in the token's base
 * units; 0 means the asset is not eligible (SettlementEngine reverts `SettlementAssetNotEligible`), never "no
 * cap". `caps` holds the cap of every asset asked about, 0n included; `listedCap` is undefined for 0n.
 *
 * Units: the bank policy's amounts are minor units, which are the token's base units, the unit of
 * `Terms.assetAmount` and of the caps: a deposit token carries its currency's minor unit as decimals (aEUR has 2,
 * so 1 = one cent) and a security counts units (B30 has 0). deploy/consortia/demo.json's cap "10000000.00" aEUR
 * is recorded as 1000000000 base units, the scale of data.json's cent amounts. Amounts compare as they are.
 */
import { Contract, getAddress, isAddress, ZeroAddress, type Provider } from "ethers";
import type { Consortium } from "../../typechain-types";
import { denyDecision, type Decision } from "./decision";
import { minorUnitsSchema, type Action, type Intent } from "./intent";
import type { BundleDependencies } from "./bundle";
import { SharedPolicyError } from "./shared-errors";

/** The consortium's shared parameters at one block, as the policy engine uses them. */
export interface SharedParameters {
  /** The consortium's address (checksummed). */
  consortium: string;
  policyVersion: number;
  /** Seconds after settlement during which a reversal may still execute. */
  reversalWindow: number;
  /** Seconds an instruction waits for the counterparty's affirmation. */
  affirmationWindow: number;
  /** True while settlement is halted by quorum. */
  paused: boolean;
  /** Per-settlement cap in base units, by token symbol, for every asset asked about (0n: not eligible). */
  caps: ReadonlyMap<string, bigint>;
  /** The consortium's policy document hash (`policyDocument()`), when read. */
  policyDocumentHash?: string;
  /** When the read started (Unix seconds, by the reader's clock). */
  readAt: number;
  /** The block every value was read at. */
  blockNumber: number;
}

/** A token of the deployment: its symbol (as the bank's policy names it) and address. */
export interface SharedAsset {
  symbol: string;
  address: string;
}

/** A TypeChain `Consortium`, or its address and a provider. */
export type ConsortiumSource = Consortium | { address: string; provider: Provider };

/** Unix seconds. */
export type Clock = () => number;
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/** The part of `settlementContext`'s result read here. */
interface ContextResult {
  assetCap: bigint;
  cashCap: bigint;
  params: { policyVersion: bigint; reversalWindow: bigint; affirmationWindow: bigint; paused: boolean };
}

const SETTLEMENT_CONTEXT_ABI = [
  "function settlementContext(address operator, address seller, address buyer, address asset, address cash) " +
    "view returns (tuple(uint8 operatorMember, uint8 sellerMember, uint8 buyerMember, uint256 assetCap, " +
    "uint256 cashCap, tuple(uint64 policyVersion, uint32 reversalWindow, uint32 affirmationWindow, " +
    "uint32 proposalDelay, uint32 proposalLifetime, uint8 quorumNumerator, uint8 quorumDenominator, bool paused) params))",
  "function policyDocument() view returns (bytes32 documentHash, string uri)",
];

/**
 * Reads the shared parameters and the caps of `assets` at one block: the block number, then
 * `settlementContext(0, 0, 0, asset, cash)` for each pair of assets (parameters and two caps per call, so
 * 1 + ceil(n / 2) calls, concurrent). Throws POLICY_SHARED_CONFIG_INVALID for a bad asset list and
 * POLICY_SHARED_READ_FAILED when the chain cannot be read.
 */
export async function readSharedParameters(
  source: ConsortiumSource,
  assets: readonly SharedAsset[],
  options: { clock?: Clock } = {},
): Promise<SharedParameters> {
  checkAssets(assets);
  const readAt = (options.clock ?? systemClock)();
  const address = "getAddress" in source ? await source.getAddress() : source.address;
  try {
    const provider = "getAddress" in source ? source.runner?.provider : source.provider;
    if (provider === null || provider === undefined) throw new Error("the contract has no provider");
    const contract = new Contract(address, SETTLEMENT_CONTEXT_ABI, provider);
    const call = contract.getFunction("settlementContext");
    const blockNumber = await provider.getBlockNumber();
    const pairs = assets.length === 0 ? [[]] : chunks(assets, 2);
    // One Promise.all for every read, so a failing read never leaves another's rejection unhandled.
    const [document, ...contexts] = await Promise.all([
      contract.getFunction("policyDocument")({ blockTag: blockNumber }) as Promise<[string, string]>,
      ...pairs.map(
        ([asset, cash]) =>
          call(ZeroAddress, ZeroAddress, ZeroAddress, asset?.address ?? ZeroAddress, cash?.address ?? ZeroAddress, {
            blockTag: blockNumber,
          }) as Promise<ContextResult>,
      ),
    ]);
    const caps = new Map<string, bigint>();
    pairs.forEach(([asset, cash], i) => {
      if (asset !== undefined) caps.set(asset.symbol, contexts[i].assetCap);
      if (cash !== undefined) caps.set(cash.symbol, contexts[i].cashCap);
    });
    const { params } = contexts[0];
    return {
      consortium: getAddress(address),
      policyVersion: safeNumber(params.policyVersion, "policyVersion"),
      reversalWindow: Number(params.reversalWindow),
      affirmationWindow: Number(params.affirmationWindow),
      paused: params.paused,
      caps,
      policyDocumentHash: document[0].toLowerCase(),
      readAt,
      blockNumber,
    };
  } catch (error) {
    const reason = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message;
    throw new SharedPolicyError(
      "POLICY_SHARED_READ_FAILED",
      `cannot read the shared parameters of consortium ${address}: ${reason}`,
      { consortium: address },
      error,
    );
  }
}

/** The cap of `symbol` when it is an eligible asset on chain, else undefined (unknown token or cap 0). */
export function listedCap(shared: SharedParameters, symbol: string): bigint | undefined {
  const cap = shared.caps.get(symbol);
  return cap === undefined || cap === 0n ? undefined : cap;
}

/**
 * Engine calls that revert `SettlementPaused` while the consortium is paused (cancel, release and unwind still
 * work).
 */
export const PAUSED_ACTIONS: readonly Action[] = [
  "instruct",
  "affirm",
  "affirm_and_settle",
  "settle",
  "reverse",
  "approve_reversal",
];

/**
 * Actions held to the asset's eligibility and cap. The chain checks them at `instruct`; `affirm` is held to
 * them too, since affirming commits the bank to the settlement and refusing is safe (the instruction expires
 * and its escrow is released). `settle` is not: once affirmed, both legs are in escrow and only settling moves
 * them. Mint, burn and transfer are token operations, which the consortium does not cap.
 */
export const CAPPED_ACTIONS: readonly Action[] = ["instruct", "affirm", "affirm_and_settle"];

/**
 * Actions that only give escrow back (cancel, release, an unwind and the votes for one): never blocked by a
 * shared-policy version mismatch, so a consortium parameter change can never lock a bank's own tokens in escrow
 * until compliance signs a new bundle.
 */
export const ESCROW_RETURN_ACTIONS: readonly Action[] = ["cancel", "release", "unwind", "approve_unwind"];

/** What `sharedChecks` reads of an intent. */
export type SharedCheckIntent = Pick<Intent, "action" | "asset" | "amount">;

/**
 * The deny reasons the shared parameters add to a decision, sorted (empty when they allow it):
 * SHARED_VERSION_MISMATCH (the bundle was approved against another shared-policy version; every action but
 * `ESCROW_RETURN_ACTIONS`),
 * CONSORTIUM_PAUSED (`PAUSED_ACTIONS`), and for `CAPPED_ACTIONS` SHARED_ASSET_UNLISTED, SHARED_CAP_EXCEEDED
 * (amount above the cap; equal is allowed, as on chain) or AMOUNT_INVALID.
 */
export function sharedChecks(
  intent: SharedCheckIntent,
  approvedSharedVersion: number,
  shared: SharedParameters,
): string[] {
  const reasons: string[] = [];
  if (approvedSharedVersion !== shared.policyVersion && !ESCROW_RETURN_ACTIONS.includes(intent.action)) {
    reasons.push(
      `SHARED_VERSION_MISMATCH: the policy bundle was approved against shared-policy version ${approvedSharedVersion}, ` +
        `the consortium is at version ${shared.policyVersion}`,
    );
  }
  if (shared.paused && PAUSED_ACTIONS.includes(intent.action)) {
    reasons.push(
      `CONSORTIUM_PAUSED: the consortium has halted settlement; ${intent.action} is refused until it resumes`,
    );
  }
  if (CAPPED_ACTIONS.includes(intent.action)) {
    const cap = intent.asset === undefined ? undefined : listedCap(shared, intent.asset);
    if (cap === undefined || intent.amount === undefined) {
      reasons.push(`SHARED_ASSET_UNLISTED: ${intent.asset ?? "(none)"} is not an eligible asset of the consortium`);
    } else if (!minorUnitsSchema.safeParse(intent.amount).success) {
      reasons.push(`AMOUNT_INVALID: ${intent.amount} is not an integer amount in minor units (at most 15 digits)`);
    } else if (BigInt(intent.amount) > cap) {
      reasons.push(
        `SHARED_CAP_EXCEEDED: ${intent.amount} exceeds the consortium's cap of ${cap} per settlement for ${intent.asset}`,
      );
    }
  }
  return reasons.sort();
}

/**
 * The decision once the shared checks are applied: unchanged without reasons, else a deny carrying them (and the
 * decision's own reasons when it was a deny already).
 */
export function applySharedChecks(decision: Decision, reasons: readonly string[]): Decision {
  if (reasons.length === 0) return decision;
  const own = decision.outcome === "deny" ? decision.reasons : [];
  return denyDecision([...new Set([...own, ...reasons])].sort());
}

function checkAssets(assets: readonly SharedAsset[]): void {
  const seen = new Set<string>();
  for (const asset of assets) {
    const problem =
      asset.symbol === "" ? "an empty symbol" : !isAddress(asset.address) ? "an invalid address" : undefined;
    if (problem !== undefined || seen.has(asset.symbol)) {
      throw new SharedPolicyError(
        "POLICY_SHARED_CONFIG_INVALID",
        `asset "${asset.symbol}" has ${problem ?? "a duplicate symbol"}`,
        { symbol: asset.symbol, address: asset.address },
      );
    }
    seen.add(asset.symbol);
  }
}

function chunks<T>(items: readonly T[], size: number): (T | undefined)[][] {
  const out: (T | undefined)[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function safeNumber(value: bigint, name: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${name} ${value} exceeds the safe integer range`);
  return Number(value);
}

/**
 * The deny reasons of a bundle's declared dependencies that the shared state no longer matches, sorted (empty
 * when it states none, or all still hold): SHARED_DEPENDENCY_CHANGED, one per changed dependency. A declared cap
 * of an asset the snapshot did not read counts as changed (it cannot be confirmed).
 */
export function dependencyChanges(dependsOn: BundleDependencies | undefined, shared: SharedParameters): string[] {
  if (dependsOn === undefined) return [];
  const changed: string[] = [];
  const reason = (what: string, declared: string, now: string) =>
    `SHARED_DEPENDENCY_CHANGED: the bundle depends on ${what} ${declared}, the consortium now has ${now}`;
  const document = dependsOn.policyDocumentHash;
  if (document !== undefined && document !== shared.policyDocumentHash) {
    changed.push(reason("policy document", document, shared.policyDocumentHash ?? "an unknown one"));
  }
  for (const [symbol, cap] of Object.entries(dependsOn.assetCaps ?? {})) {
    const now = shared.caps.get(symbol);
    if (now === undefined || now.toString() !== cap) {
      changed.push(reason(`the cap of ${symbol}`, cap, now === undefined ? "an unread cap" : now.toString()));
    }
  }
  for (const [name, value] of Object.entries(dependsOn.parameters ?? {})) {
    const now = shared[name as "reversalWindow" | "affirmationWindow"];
    if (value !== undefined && now !== value) changed.push(reason(name, `${value}s`, `${now}s`));
  }
  return changed.sort();
}
