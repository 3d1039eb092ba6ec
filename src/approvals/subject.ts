/**
 * What approvals need of the modules upstream of them, declared here so that approvals never import the
 * policy engine (data flows one way: intent, policy decision, approvals). The policy's `IntentInput` and
 * `Decision` satisfy these shapes as they are.
 */

/** An intent to approve: its id, its initiator, and every other field, all of which the digest covers. */
export type ApprovalIntent = {
  readonly intent_id: string;
  readonly initiator: { readonly id: string };
} & { readonly [field: string]: unknown };

/** What a policy decision demands: its outcome and, when approvals are required, how many and from whom. */
export interface ApprovalDemand {
  readonly outcome: string;
  readonly approvals: { readonly required: number; readonly roles: readonly string[] };
}
