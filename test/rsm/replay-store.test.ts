/** The replay store's behaviour suite on SQLite and on PostgreSQL. */
import { describeOnBothBackends } from "../support/storage";
import { shouldBehaveLikeAReplayStore } from "./replay-store.behavior";

describeOnBothBackends("remote signing module: ReplayStore", shouldBehaveLikeAReplayStore);
