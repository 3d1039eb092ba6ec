/**
 * A provider as the participant's screening: the gate passes the counterparty's id (its LEI) and the signing key,
 * and receives `clear`, `medium` or `hit` for the policy (with the matches, for `toGateScreening`). An outage
 * denies the call exactly as the gate denies SCREENING_NOT_CONFIGURED: a `GateDeniedError` whose reason starts
 * with the outage's code.
 */
import { GateDeniedError } from "../orchestrator/errors";
import type { ScreeningOutcome } from "../orchestrator";
import type { AmlLevel, ScreeningProvider, ScreeningSubject, ScreeningVerdict } from "./provider";

export interface ParticipantScreeningOptions {
  /**
   * The subject screened for a counterparty id: the bank adds the name it holds, the client it acts for and
   * travel-rule data. By default the subject is the id alone.
   */
  subjectOf?: (counterparty: string) => ScreeningSubject | Promise<ScreeningSubject>;
}

/** The participant's `screening` function over `provider`. Calls without a counterparty (mint, burn) are clear. */
export function toParticipantScreening(
  provider: ScreeningProvider,
  options: ParticipantScreeningOptions = {},
): (counterparty: string | undefined) => Promise<AmlLevel> {
  return async (counterparty) => {
    if (counterparty === undefined) return "clear";
    const subject =
      options.subjectOf === undefined ? { counterparty: { id: counterparty } } : await options.subjectOf(counterparty);
    return (await verdictOf(provider, subject)).status;
  };
}

/**
 * The gate's screening over `provider`, run before every decision: the counterparty, and the client whose key
 * signs (`clientOf(signer)`, segregated custody) as a second party. The level and the matches enter the policy
 * input (`aml`, `screening`); an outage denies with its code.
 */
export function toGateScreening(
  provider: ScreeningProvider,
  clientOf: (signer: string) => string | undefined = () => undefined,
): (counterparty: string | undefined, context: { signer: string }) => Promise<ScreeningOutcome> {
  return async (counterparty, { signer }) => {
    if (counterparty === undefined) return { aml: "clear" };
    const client = clientOf(signer);
    const subject = { counterparty: { id: counterparty }, ...(client === undefined ? {} : { client: { id: client } }) };
    const verdict = await verdictOf(provider, subject);
    return { aml: verdict.status, screening: { provider: verdict.provider, matches: verdict.matches } };
  };
}

/** The provider's verdict on `subject`; an outage is thrown as a denial naming its code. */
async function verdictOf(provider: ScreeningProvider, subject: ScreeningSubject): Promise<ScreeningVerdict> {
  const result = await provider.screen(subject);
  if (result.status !== "outage") return result;
  throw new GateDeniedError([{ code: result.error.code, message: result.error.message }], {
    intentId: null,
    decisionId: null,
  });
}
