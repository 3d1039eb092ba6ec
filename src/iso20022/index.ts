/**
 * ISO 20022 settlement instructions: `sese.023` read into the engine's settlement terms through a validated
 * mapping configuration, `sese.024` status advices and `sese.025` confirmations written from a settlement.
 */
export { Iso20022Error, Iso20022MappingError, Iso20022MessageError } from "./errors";
export type { Iso20022ErrorCode } from "./errors";
export { MappingConfigSchema, parseMappingConfig } from "./mapping";
export type {
  CounterpartyMapping,
  CurrencyMapping,
  MappingConfig,
  MappingConfigInput,
  SecurityMapping,
} from "./mapping";
export { readSese023, SESE023_NAMESPACE } from "./sese023";
export type { MappedInstruction, Sese023Instruction } from "./sese023";
export { adviceOf, buildSese024, rejectionOf, SESE024_NAMESPACE } from "./sese024";
export type { AdviceStatus, StatusAdviceInput } from "./sese024";
export { seseRejectionFor, seseStatusFor } from "./status";
export type { SeseMessage, SettlementStateChange } from "./status";
export { buildSese025, SESE025_NAMESPACE } from "./sese025";
export type { ConfirmationInput } from "./sese025";
export { fromBaseUnits, isBic, isIsin, isLei, toBaseUnits } from "./values";
