/**
 * A provider as the participant's `screening` option: the participant passes the counterparty's id (its LEI)
 * and receives `clear`, `medium` or `hit` for the policy. An outage denies the call exactly as the gate denies
 * SCREENING_NOT_CONFIGURED: a `GateDeniedError` whose reason starts with the outage's code.
 */
import { GateDeniedError } from "../signer/gate/errors";
import type { AmlLevel, ScreeningProvider, ScreeningSubject } from "./provider";

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
    const result = await provider.screen(subject);
    if (result.status !== "outage") return result.status;
    throw new GateDeniedError([`${result.error.code}: ${result.error.message}`], { intentId: null, decisionId: null });
  };
}
