/**
 * Decoding the consortium's contract logs and deciding which concern a bank: a log does when any address in it
 * (the actor, a party of the terms, a holder, the sender or receiver of a transfer) is one of the bank's, when a
 * member id in it is the bank's, or when it names a settlement the bank already takes part in (so that the
 * counterparty's affirmation and the settlement's outcome reach both sides).
 */
import type { Interface, Log, ParamType, Result } from "ethers";
import type { JsonValue } from "../core";
import { formatSettlementId } from "../settlement";
import {
  Consortium__factory,
  IAuditAnchor__factory,
  PermissionedToken__factory,
  SettlementEngine__factory,
} from "../../typechain-types";

/** The consortium's contracts a follower reads. */
export interface FollowedContracts {
  consortium: string;
  engine: string;
  auditAnchor?: string;
  tokens: readonly { symbol: string; address: string }[];
}

/** Who the bank is on chain. */
export interface BankIdentity {
  /** Its operator key and accounts. */
  addresses: readonly string[];
  /** Its member id in the consortium, when it is a member. */
  memberId?: number;
}

/** A decoded log. */
export interface DecodedLog {
  type: string;
  contract: string;
  data: Record<string, JsonValue>;
  /** The settlement (or proposal) the event is about. */
  subject: string | null;
  addresses: string[];
  memberIds: number[];
}

const MEMBER_FIELDS = new Set(["memberId", "fromMember", "toMember"]);
const SETTLEMENT_FIELDS = new Set(["id", "settlementId"]);

export class LogDecoder {
  readonly #byAddress = new Map<string, { name: string; iface: Interface; settlementIds: boolean }>();

  constructor(contracts: FollowedContracts) {
    const engine = SettlementEngine__factory.createInterface() as unknown as Interface;
    this.#byAddress.set(contracts.engine.toLowerCase(), {
      name: "SettlementEngine",
      iface: engine,
      settlementIds: true,
    });
    const consortium = Consortium__factory.createInterface() as unknown as Interface;
    this.#byAddress.set(contracts.consortium.toLowerCase(), {
      name: "Consortium",
      iface: consortium,
      settlementIds: false,
    });
    if (contracts.auditAnchor !== undefined) {
      const anchor = IAuditAnchor__factory.createInterface() as unknown as Interface;
      this.#byAddress.set(contracts.auditAnchor.toLowerCase(), {
        name: "AuditAnchor",
        iface: anchor,
        settlementIds: false,
      });
    }
    const token = PermissionedToken__factory.createInterface() as unknown as Interface;
    for (const t of contracts.tokens) {
      this.#byAddress.set(t.address.toLowerCase(), { name: t.symbol, iface: token, settlementIds: true });
    }
  }

  /** Every followed contract address. */
  get addresses(): string[] {
    return [...this.#byAddress.keys()];
  }

  /** The log decoded, or undefined when it is not one of the followed contracts' events. */
  decode(log: Log): DecodedLog | undefined {
    const contract = this.#byAddress.get(log.address.toLowerCase());
    if (contract === undefined) return undefined;
    const parsed = contract.iface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed === null) return undefined;
    const out: DecodedLog = {
      type: parsed.name,
      contract: contract.name,
      data: {},
      subject: null,
      addresses: [],
      memberIds: [],
    };
    parsed.fragment.inputs.forEach((input, i) => {
      const value = parsed.args[i] as unknown;
      out.data[input.name] = toJson(input, value, out.addresses);
      if (MEMBER_FIELDS.has(input.name)) out.memberIds.push(Number(value));
      if (contract.settlementIds && SETTLEMENT_FIELDS.has(input.name) && typeof value === "bigint") {
        out.subject = formatSettlementId(value);
      }
    });
    return out;
  }
}

/** True when `log` concerns the bank (see the module comment); `settlements` are the ids it takes part in. */
export function concernsBank(log: DecodedLog, bank: BankIdentity, settlements: ReadonlySet<string>): boolean {
  const own = new Set(bank.addresses.map((a) => a.toLowerCase()));
  if (log.addresses.some((a) => own.has(a.toLowerCase()))) return true;
  if (bank.memberId !== undefined && log.memberIds.includes(bank.memberId)) return true;
  return log.subject !== null && settlements.has(log.subject);
}

/** An ABI value as JSON (integers as decimal strings, tuples as objects), collecting the addresses in it. */
function toJson(type: ParamType, value: unknown, addresses: string[]): JsonValue {
  if (type.baseType === "tuple" && type.components !== null) {
    const tuple = value as Result;
    return Object.fromEntries(type.components.map((c, i) => [c.name || String(i), toJson(c, tuple[i], addresses)]));
  }
  if (type.baseType === "array" && type.arrayChildren !== null) {
    const child = type.arrayChildren;
    return (value as unknown[]).map((v) => toJson(child, v, addresses));
  }
  if (type.baseType === "address") addresses.push(value as string);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean" || typeof value === "string" || typeof value === "number") return value;
  // An indexed dynamic value (string, bytes) comes back as its hash.
  return (value as { hash?: string }).hash ?? String(value);
}
