/**
 * From calldata to what the policy is asked about. The consortium contracts' interfaces (from the TypeChain
 * bindings) decode a call to the settlement engine or a permissioned token into the fields of a settlement
 * intent; anything else is either explicitly allowed by configuration (a target, or one function of a target)
 * or undecodable, and the gate denies it.
 *
 * Conventions a compliance team should know:
 * - A settlement's intent id is its on-chain id (keccak256 of its terms), the same for every step, so its
 *   exposure is reserved once, at the first step the bank signs, and retries are never counted twice.
 * - Both legs of a delivery versus payment go through policy: the cash leg under the settlement's id, the asset
 *   leg under the id with `:asset` appended, each with its own reservation; free of payment has the delivered
 *   asset only. The counterparty is the party that is not this bank's account.
 * - A member that is not a party may only vote on a reversal (`approveReversal`) or ask for and vote on an unwind
 *   (`proposeUnwind`, `approveUnwind`), for a quorum; its policy judges that vote against the seller as
 *   counterparty. Every other step of others' settlements is refused.
 * - `affirmAndSettle` is an affirmation (`affirm_and_settle`): both legs through policy, exposure reserved.
 *   `proposeUnwind` and `approveUnwind` (`unwind`, `approve_unwind`) only give escrow back, like cancel and release.
 * - Consortium governed calls that move or reassign what members hold (`reassignAccount`, `recoverStray`,
 *   `resetAnchor`) go through policy as `govern` intents, whether the bank proposes one (`propose`, whose data is
 *   decoded here) or approves, queues or executes one (`approve`, `queue`, `execute`: the gate reads the
 *   proposal's data from the chain). Other consortium calls are allowed only when the consortium is an allowed
 *   target. The token's `lock`, `unlock` and `transferLocked` and the engine's `recoverStray` are the engine's and
 *   the consortium's own calls: a bank never signs them (undecodable).
 * - `approve(engine, amount)` on a consortium token is allowed without a policy decision: the engine only locks
 *   tokens on instruct and affirm, which pass the gate themselves. Approving any other spender is undecodable.
 */
import { getAddress, keccak256, type FunctionFragment, type Interface } from "ethers";
import { Consortium__factory, PermissionedToken__factory, SettlementEngine__factory } from "../../typechain-types";
import type { Action } from "../policy";
import type { SettlementTerms } from "../settlement";
import { decodeStaticCall } from "./static-abi";

/** A call to sign, as the gate sees it. */
export interface CallToSign {
  to: string;
  data: string;
  value: bigint;
}

/** What a call means. */
export type DecodedCall =
  | {
      kind: "intent";
      action: Action;
      function: string;
      /** The settlement id for engine calls; absent for token calls. */
      settlementId?: string;
      /** The token whose amount is the exposure. */
      token: string;
      amount: bigint;
      /** The other party's account (absent for mint and burn). */
      counterpartyAccount?: string;
      /** A DvP's asset leg: judged by the policy too, with its own reservation. */
      assetLeg?: { token: string; amount: bigint };
    }
  | {
      kind: "governance";
      /** The consortium function signed (`propose`, `approve`, `queue`, `execute`). */
      function: string;
      /** The governed function the proposal calls, when known (`propose`); read from the chain otherwise. */
      governed?: string;
      /** The proposal voted on (absent for `propose`). */
      proposalId?: bigint;
    }
  | { kind: "allowed"; function: string; reason: string }
  | { kind: "refused"; function: string; reason: string }
  | { kind: "undecodable"; reason: string };

export interface CallDecoderOptions {
  engine: string;
  /** The consortium: its governed calls that move or reassign holdings go through policy (see the module comment). */
  consortium?: string;
  tokens: readonly string[];
  /** This bank's accounts: a settlement party among them is the bank's own side. */
  accounts: readonly string[];
  /** Targets whose every call is allowed without a policy decision (e.g. the consortium, for governance). */
  allowedTargets?: readonly string[];
  /** Single functions allowed without a policy decision: target and 4-byte selector. */
  allowedCalls?: readonly { to: string; selector: string }[];
}

/** Hex digits of abi.encode(Terms): eight 32-byte words. */
const TERMS_HEX_LENGTH = 8 * 64;

const ENGINE_ACTIONS: Record<string, Action> = {
  instruct: "instruct",
  affirm: "affirm",
  settle: "settle",
  cancel: "cancel",
  release: "release",
  proposeReversal: "reverse",
  approveReversal: "approve_reversal",
  affirmAndSettle: "affirm_and_settle",
  proposeUnwind: "unwind",
  approveUnwind: "approve_unwind",
};

/** Steps a member that is not a party may sign: votes of a quorum. */
const QUORUM_ACTIONS: readonly Action[] = ["approve_reversal", "unwind", "approve_unwind"];

/** Consortium governed functions judged by the bank's policy (a `govern` intent). */
export const POLICY_GOVERNED_FUNCTIONS: readonly string[] = ["reassignAccount", "recoverStray", "resetAnchor"];

/** Consortium functions that act on an existing proposal by id. */
const PROPOSAL_STEPS = new Set(["approve", "queue", "execute"]);

export class CallDecoder {
  readonly #engine: string;
  readonly #tokens: Set<string>;
  readonly #accounts: Set<string>;
  readonly #allowedTargets: Set<string>;
  readonly #allowedCalls: Set<string>;
  readonly #engineInterface: Interface = SettlementEngine__factory.createInterface();
  readonly #tokenInterface: Interface = PermissionedToken__factory.createInterface();
  readonly #consortiumInterface: Interface = Consortium__factory.createInterface();
  readonly #consortium: string | undefined;

  constructor(options: CallDecoderOptions) {
    this.#engine = getAddress(options.engine);
    this.#consortium = options.consortium === undefined ? undefined : getAddress(options.consortium);
    this.#tokens = new Set(options.tokens.map((t) => getAddress(t)));
    this.#accounts = new Set(options.accounts.map((a) => getAddress(a)));
    this.#allowedTargets = new Set((options.allowedTargets ?? []).map((t) => getAddress(t)));
    this.#allowedCalls = new Set(
      (options.allowedCalls ?? []).map((c) => `${getAddress(c.to)}:${c.selector.toLowerCase()}`),
    );
  }

  decode(call: CallToSign): DecodedCall {
    const to = getAddress(call.to);
    if (to === this.#engine) return this.#decodeEngine(call);
    if (to === this.#consortium) {
      const decoded = this.#decodeConsortium(call);
      if (decoded !== undefined) return decoded;
    }
    if (this.#tokens.has(to)) {
      const decoded = this.#decodeToken(to, call);
      if (decoded.kind !== "undecodable") return decoded;
    }
    return this.byTarget(call);
  }

  /** What configuration alone says of `call`: allowed (its target, or its function) or undecodable. */
  byTarget(call: CallToSign): DecodedCall {
    const to = getAddress(call.to);
    const selector = call.data.slice(0, 10).toLowerCase();
    if (this.#allowedTargets.has(to)) return { kind: "allowed", function: selector, reason: "target allowed" };
    if (this.#allowedCalls.has(`${to}:${selector}`)) {
      return { kind: "allowed", function: selector, reason: "function allowed" };
    }
    return { kind: "undecodable", reason: `no consortium interface decodes ${selector} on ${to}` };
  }

  #decodeEngine(call: CallToSign): DecodedCall {
    const parsed = this.#parse(this.#engineInterface, call);
    const action = parsed === null ? undefined : ENGINE_ACTIONS[parsed.name];
    if (parsed === null || action === undefined || call.value !== 0n) {
      return { kind: "undecodable", reason: "not a settlement step of the engine (or sends value)" };
    }
    const t = parsed.args[0] as SettlementTerms;
    const terms: SettlementTerms = {
      tradeRef: t.tradeRef,
      kind: Number(t.kind),
      seller: getAddress(t.seller),
      buyer: getAddress(t.buyer),
      asset: getAddress(t.asset),
      assetAmount: BigInt(t.assetAmount),
      cash: getAddress(t.cash),
      cashAmount: BigInt(t.cashAmount),
    };
    const ours = this.#accounts.has(terms.seller) ? "seller" : this.#accounts.has(terms.buyer) ? "buyer" : null;
    // A member may vote on other members' reversal (a quorum reverses a trade); it is judged against the seller.
    if (ours === null && !QUORUM_ACTIONS.includes(action)) {
      return { kind: "refused", function: parsed.name, reason: "NOT_A_PARTY: neither party is this bank's account" };
    }
    const dvp = terms.kind === 0;
    return {
      kind: "intent",
      action,
      function: parsed.name,
      // The terms are the call's first argument, a static tuple of eight words: canonical calldata (checked by
      // re-encoding) holds abi.encode(terms) right after the selector, so its hash is the settlement id.
      settlementId: keccak256(`0x${call.data.slice(10, 10 + TERMS_HEX_LENGTH)}`),
      token: dvp ? terms.cash : terms.asset,
      amount: dvp ? terms.cashAmount : terms.assetAmount,
      counterpartyAccount: ours === "seller" ? terms.buyer : terms.seller,
      ...(dvp ? { assetLeg: { token: terms.asset, amount: terms.assetAmount } } : {}),
    };
  }

  /**
   * The governed function `data` (a proposal's call) invokes, when the bank's policy judges it; undefined for
   * any other governed call.
   */
  policyGoverned(data: string): string | undefined {
    const fragment = functionsBySelector(this.#consortiumInterface).get(data.slice(0, 10).toLowerCase());
    return fragment !== undefined && POLICY_GOVERNED_FUNCTIONS.includes(fragment.name) ? fragment.name : undefined;
  }

  /** A consortium call through policy, or undefined when it is none of those (then the target rules apply). */
  #decodeConsortium(call: CallToSign): DecodedCall | undefined {
    const parsed = this.#parse(this.#consortiumInterface, call);
    if (parsed === null) return undefined;
    if (call.value !== 0n)
      return {
        kind: "refused",
        function: parsed.name,
        reason: "VALUE_NOT_ALLOWED: a consortium call never sends value",
      };
    if (parsed.name === "propose") {
      const governed = this.policyGoverned(String(parsed.args[0]));
      return governed === undefined ? undefined : { kind: "governance", function: "propose", governed };
    }
    if (PROPOSAL_STEPS.has(parsed.name)) {
      return { kind: "governance", function: parsed.name, proposalId: BigInt(parsed.args[0] as bigint) };
    }
    return undefined;
  }

  #decodeToken(token: string, call: CallToSign): DecodedCall {
    const parsed = this.#parse(this.#tokenInterface, call);
    if (parsed === null || call.value !== 0n) return { kind: "undecodable", reason: "not a token call" };
    const [first, second] = parsed.args as unknown as [string, bigint];
    switch (parsed.name) {
      case "transfer":
        return {
          kind: "intent",
          action: "transfer",
          function: "transfer",
          token,
          amount: second,
          counterpartyAccount: getAddress(first),
        };
      case "mint":
        return { kind: "intent", action: "mint", function: "mint", token, amount: second };
      case "burn":
        return { kind: "intent", action: "burn", function: "burn", token, amount: second };
      case "approve":
        return getAddress(first) === this.#engine
          ? { kind: "allowed", function: "approve", reason: "allowance for the settlement engine" }
          : { kind: "undecodable", reason: "approve for a spender other than the settlement engine" };
      default:
        return { kind: "undecodable", reason: `token function ${parsed.name} is not a settlement intent` };
    }
  }

  #parse(iface: Interface, call: CallToSign): { name: string; args: readonly unknown[] } | null {
    const fragment = functionsBySelector(iface).get(call.data.slice(0, 10).toLowerCase());
    if (fragment === undefined) return null;
    const fast = decodeStaticCall(fragment, call.data);
    if (fast !== undefined) return fast === null ? null : { name: fragment.name, args: fast };
    try {
      const args = iface.decodeFunctionData(fragment, call.data);
      // Re-encode: calldata with trailing bytes or non-canonical padding is not what it claims to be.
      if (iface.encodeFunctionData(fragment, args).toLowerCase() !== call.data.toLowerCase()) return null;
      return { name: fragment.name, args };
    } catch {
      return null;
    }
  }
}

const SELECTORS = new WeakMap<Interface, Map<string, FunctionFragment>>();

/** The interface's functions by selector, computed once (ethers hashes every signature on each lookup). */
function functionsBySelector(iface: Interface): Map<string, FunctionFragment> {
  let map = SELECTORS.get(iface);
  if (map === undefined) {
    map = new Map();
    iface.forEachFunction((fragment) => map!.set(fragment.selector.toLowerCase(), fragment));
    SELECTORS.set(iface, map);
  }
  return map;
}
