/**
 * The participant API: one `Participant` per bank, opened from one configuration, through which the bank
 * instructs, affirms and settles, requests and approves reversals, votes in governance, collects approvals and
 * reads, verifies and anchors its audit log. Every signature passes the bank's policy gate, whichever key makes it:
 * the bank's own (a local HSM key or one behind the remote signing module) or a custody client's. A sese.023
 * instruction enters through `instructFromSese023`; its HTTP route (`src/api/routes/iso20022.ts`, Fastify) is imported by the
 * API server directly, so the package entry loads no HTTP framework.
 */
export {
  parseParticipantConfig,
  participantConfigSchema,
  type ParticipantConfig,
  type ParticipantConfigInput,
} from "./config";
export { Participant, type ParticipantOptions, type SettlementSubmitted, type Submitted } from "./participant";
export { STATUS_FINAL, bookSettlement, type CustodyBooking } from "./custody-booking";
export { KeyGates, ParticipantSigners, type BankSigner } from "./signers";
export { instructFromSese023, type Sese023Options, type Sese023Result } from "./sese023";
export { SubmissionStore, type Submission } from "./submissions";
export type { RecoveryResult, UnresolvedNonce } from "./recover";
