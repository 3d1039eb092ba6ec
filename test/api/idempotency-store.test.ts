import { describeOnBothBackends } from "../support/storage";
import { shouldBehaveLikeAnIdempotencyStore } from "./idempotency-store.behavior";

describeOnBothBackends("API: IdempotencyStore", shouldBehaveLikeAnIdempotencyStore);
