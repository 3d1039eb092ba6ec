/**
 * Operating a participant: structured logs with secrets redacted (pino), Prometheus metrics on a registry of
 * the participant's own (prom-client), and a health endpoint serving both.
 */
export { createLogger, logger, LOG_LEVELS, type Logger, type LoggerSettings, type LogLevel } from "./log";
export { isSecretName, REDACTED, redactText, redactValue } from "./redact";
export { HEALTH_DIGEST, participantChecks, type ParticipantParts } from "./checks";
export { DECISION_OUTCOMES, ParticipantMetrics, SIGNING_BUCKETS, type MetricsSettings } from "./metrics";
export {
  HealthServer,
  HealthServerConfigSchema,
  healthReport,
  type CheckResult,
  type HealthCheck,
  type HealthReport,
  type HealthServerConfig,
  type HealthServerConfigInput,
  type HealthSources,
} from "./server";
