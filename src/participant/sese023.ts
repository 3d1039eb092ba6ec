/**
 * A sese.023 instruction through the participant: read and mapped (ISIN -> asset token, BIC/LEI -> member and
 * account, amount and currency -> cash token), then instructed or affirmed by the message's own role. The
 * bank instructs when no settlement has these terms yet, or when its own side instructed them before (a
 * retried message: the recorded transaction, never a second signature); it affirms when the counterparty's side
 * instructed them. A malformed or unmapped message, or terms already past instruction, is refused with an
 * `Iso20022MessageError` naming the element and the reason, before anything is signed.
 */
import { getAddress } from "ethers";
import { SettlementEngine__factory } from "../../typechain-types";
import { Iso20022MessageError, readSese023, type MappingConfig, type Sese023Instruction } from "../iso20022";
import type { Initiator } from "../orchestrator";
import type { TravelRule } from "../policy";
import { formatSettlementId, settlementIdOf, statusName, type SettlementTerms } from "../settlement";
import type { Participant, SettlementSubmitted } from "./participant";

export interface Sese023Options {
  initiator?: Initiator;
  /** Originator and beneficiary of the transfer, for the policy's `travel_rule`. */
  travelRule?: TravelRule;
}

/** What a sese.023 became: the step this bank took for it, and the settlement. */
export interface Sese023Result {
  step: "instruct" | "affirm";
  settlementId: string;
  instruction: Sese023Instruction;
  terms: SettlementTerms;
  submitted: SettlementSubmitted;
}

/** Reads `xml` with `mapping` and instructs or affirms it through `participant`'s gate. */
export async function instructFromSese023(
  participant: Participant,
  xml: string,
  mapping: MappingConfig,
  options: Sese023Options = {},
): Promise<Sese023Result> {
  const { instruction, terms } = readSese023(xml, mapping);
  checkParticipantKnows(participant, terms);
  const step = await stepFor(participant, terms, instruction);
  const { initiator, travelRule } = options;
  const submitted =
    step === "instruct"
      ? await participant.instruct(terms, initiator, travelRule)
      : await participant.affirm(terms, initiator, travelRule);
  return { step, settlementId: submitted.settlementId, instruction, terms, submitted };
}

/** Instruct, or affirm the counterparty's instruction; refuses terms already affirmed or ended. */
async function stepFor(
  participant: Participant,
  terms: SettlementTerms,
  instruction: Sese023Instruction,
): Promise<"instruct" | "affirm"> {
  const engine = SettlementEngine__factory.connect(participant.config.consortium.engine, participant.provider);
  const id = settlementIdOf(terms);
  const record = await engine.record(id);
  const state = statusName(record.status);
  if (state === "None") return "instruct";
  const weDeliver = instruction.movement === "DELI";
  if (state === "Instructed") return record.sellerInstructed === weDeliver ? "instruct" : "affirm";
  throw new Iso20022MessageError(
    "ISO20022_SETTLEMENT_EXISTS",
    "SctiesSttlmTxInstr",
    `settlement ${formatSettlementId(id)} with these terms is already ${state}`,
  );
}

/** The tokens and the bank's account the message maps to must be the participant's own configuration's. */
function checkParticipantKnows(participant: Participant, terms: SettlementTerms): void {
  const tokens = new Set(participant.config.consortium.tokens.map((t) => getAddress(t.address)));
  const refuse = (element: string, reason: string) => new Iso20022MessageError("ISO20022_UNMAPPED", element, reason);
  if (!tokens.has(getAddress(terms.asset))) {
    throw refuse("SctiesSttlmTxInstr/FinInstrmId/ISIN", `maps to ${terms.asset}, not a token of this participant`);
  }
  if (terms.kind === 0 && !tokens.has(getAddress(terms.cash))) {
    throw refuse("SctiesSttlmTxInstr/SttlmAmt/Amt/@Ccy", `maps to ${terms.cash}, not a token of this participant`);
  }
  const own = new Set(
    [participant.address, ...participant.config.bank.accounts, ...participant.signers.custodyAccounts()].map((a) =>
      getAddress(a),
    ),
  );
  if (!own.has(getAddress(terms.seller)) && !own.has(getAddress(terms.buyer))) {
    throw refuse(
      "SctiesSttlmTxInstr/QtyAndAcctDtls/SfkpgAcct/Id",
      "maps to an account this participant does not sign for",
    );
  }
}
