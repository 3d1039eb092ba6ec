/** The submission store's behaviour suite on SQLite and on PostgreSQL. */
import { describeOnBothBackends } from "../support/storage";
import { shouldBehaveLikeASubmissionStore } from "./submissions.behavior";

describeOnBothBackends("participant: SubmissionStore", shouldBehaveLikeASubmissionStore);
