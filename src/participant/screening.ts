/**
 * The participant's screening as its configuration says: a provider (sanctions list, screening service) run
 * before every decision for the counterparty and, in segregated custody, the client whose key signs; `none`, the
 * bank's explicit choice to screen nobody; or nothing, which denies every call with a counterparty. How
 * screening is done is recorded in the audit log at every start.
 */
import type { AuditStore } from "../audit";
import { GateDeniedError, type PolicyGatedSignerOptions } from "../orchestrator";
import { reasonText } from "../orchestrator/reasons";
import { openScreeningProvider, toGateScreening } from "../screening";
import type { ParticipantConfig } from "./config";
import type { ParticipantSigners } from "./signers";

/** How counterparties are screened: a function the bank passed, a configured provider, none, or missing. */
export type ScreeningSetting = "function" | "none" | "sanctions-list" | "http" | "missing";

export function screeningSetting(config: ParticipantConfig, given: boolean): ScreeningSetting {
  if (given) return "function";
  if (config.screening === undefined) return "missing";
  return config.screening === "none" ? "none" : config.screening.provider;
}

/**
 * The gate's screening from the configuration (undefined when none is configured: the gate fails closed). A
 * provider's outage is recorded in `audit` as a screening denial with its reason before the call is refused.
 */
export function configuredScreening(
  config: ParticipantConfig,
  signers: ParticipantSigners,
  audit: AuditStore,
): PolicyGatedSignerOptions["screening"] {
  const setting = config.screening;
  if (setting === undefined) return undefined;
  const provider = setting === "none" ? null : openScreeningProvider(setting);
  if (provider === null) return () => "clear" as const;
  const screen = toGateScreening(provider, (signer) =>
    signers.isClientAccount(signer) ? signers.directory?.describe(signer).clientId : undefined,
  );
  return async (counterparty, context) => {
    try {
      return await screen(counterparty, context);
    } catch (error) {
      if (!(error instanceof GateDeniedError)) throw error;
      const payload = { stage: "screening", outcome: "deny", provider: provider.name, signer: context.signer };
      const reasons = error.reasons.map(reasonText);
      await audit.append({
        kind: "decision",
        subject: `screening:${counterparty ?? ""}`,
        payload: { ...payload, reasons },
      });
      throw error;
    }
  };
}

const REASONS: Record<ScreeningSetting, string> = {
  function: "counterparties are screened by the bank's screening function",
  "sanctions-list": "counterparties and segregated clients are screened against the configured sanctions list",
  http: "counterparties and segregated clients are screened by the configured screening service",
  none: "SCREENING_NONE: the configuration says this bank screens no counterparty; every one screens clear",
  missing: "SCREENING_NOT_CONFIGURED: no screening is configured; every call with a counterparty is denied",
};

/** Records at start how counterparties are screened (`none` is the bank's explicit choice to screen nobody). */
export async function recordScreening(audit: AuditStore, screening: ScreeningSetting): Promise<void> {
  const outcome = screening === "missing" ? "deny" : "allow";
  await audit.append({
    kind: "decision",
    subject: "configuration:screening",
    payload: { stage: "configuration", setting: "screening", value: screening, outcome, reason: REASONS[screening] },
  });
}
