/** The omnibus ledger's behaviour suite on SQLite and on PostgreSQL. */
import { describeOnBothBackends } from "../support/storage";
import { shouldBehaveLikeAnOmnibusLedger } from "./ledger.behavior";

describeOnBothBackends("custody: OmnibusLedger", shouldBehaveLikeAnOmnibusLedger);
