/**
 * The screening provider interface, run before a trade for each counterparty (and, in segregated custody, the
 * client): `clear`, `medium` or `hit` with the list entries that matched, or an outage that denies. Travel-rule
 * data rides along unchanged into what the policy receives.
 */
import type { TravelRule } from "../policy";
import type { ScreeningError } from "./errors";

/** A party to screen: its identifier (LEI or BIC, as the policy keys it) and, when known, its name. */
export interface ScreeningParty {
  id: string;
  name?: string;
}

/** Originator and beneficiary of a transfer, passed to the policy exactly as given (`travelRuleSchema`). */
export type TravelRuleData = TravelRule;

/** One side of a transfer under the travel rule (FATF recommendation 16): name, account, LEI or address. */
export type TravelRuleParty = TravelRule["originator"];

/** What is screened before one trade. */
export interface ScreeningSubject {
  counterparty: ScreeningParty;
  /** The end client the bank acts for, in segregated custody. */
  client?: ScreeningParty;
  travelRule?: TravelRuleData;
}

/** A list entry that matched: which party, which list and entry, and how. */
export interface ScreeningMatch {
  party: "counterparty" | "client";
  list: string;
  entry: string;
  name: string;
  /** `identifier`: the LEI or BIC is on the list (hit). `name`: the normalised name is (medium). */
  matchedOn: "identifier" | "name";
}

export type AmlLevel = "clear" | "medium" | "hit";

/** A provider's answer. */
export type ScreeningVerdict = {
  status: AmlLevel;
  provider: string;
  matches: ScreeningMatch[];
  travelRule?: TravelRuleData;
};

/** The provider could not answer; the subject is denied with `error` as the reason. */
export type ScreeningOutage = {
  status: "outage";
  provider: string;
  error: ScreeningError;
  travelRule?: TravelRuleData;
};

export type ScreeningResult = ScreeningVerdict | ScreeningOutage;

/** A screening provider. `screen` never throws for an outage: it answers `{ status: "outage" }`. */
export interface ScreeningProvider {
  readonly name: string;
  screen(subject: ScreeningSubject): Promise<ScreeningResult>;
}

const SEVERITY: Record<AmlLevel, number> = { clear: 0, medium: 1, hit: 2 };

/** The most severe level of `matches` (a hit outranks a medium; no match is clear). */
export function levelOf(matches: readonly ScreeningMatch[]): AmlLevel {
  return matches.reduce<AmlLevel>((worst, m) => {
    const level: AmlLevel = m.matchedOn === "identifier" ? "hit" : "medium";
    return SEVERITY[level] > SEVERITY[worst] ? level : worst;
  }, "clear");
}

/** The parties of `subject` by role. */
export function partiesOf(subject: ScreeningSubject): [ScreeningMatch["party"], ScreeningParty][] {
  return subject.client === undefined
    ? [["counterparty", subject.counterparty]]
    : [
        ["counterparty", subject.counterparty],
        ["client", subject.client],
      ];
}

/** What the policy input receives from a verdict: the level, the matches and the travel-rule data as given. */
export interface ScreeningPolicyInput {
  aml: AmlLevel;
  screening: { provider: string; matches: ScreeningMatch[] };
  travel_rule?: TravelRuleData;
}

export function policyInputOf(verdict: ScreeningVerdict): ScreeningPolicyInput {
  return {
    aml: verdict.status,
    screening: { provider: verdict.provider, matches: verdict.matches },
    ...(verdict.travelRule === undefined ? {} : { travel_rule: verdict.travelRule }),
  };
}
