/** The approval store's behaviour suite on SQLite and on PostgreSQL. */
import { describeOnBothBackends } from "../support/storage";
import { shouldBehaveLikeAnApprovalStore } from "./store.behavior";

describeOnBothBackends("approvals: ApprovalStore", shouldBehaveLikeAnApprovalStore);
