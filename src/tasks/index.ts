/**
 * Hardhat tasks for people operating a consortium: `deploy` from a configuration file, governance
 * (`proposal:*`), settlements (`settlement:*`), audit, policy, custody and the devnet. Every task takes `--json`
 * for one JSON document on stdout, and fails with one line (`Error in plugin consortium: CODE: message`). The
 * `demo` and `readiness` commands are the demo's own (src/demo/tasks.ts): the demo builds on these tasks, never
 * the other way round.
 *
 * Task files import contract types only: the TypeChain bindings do not exist before the first compile, and
 * this module is loaded by `hardhat.config.ts` for every command, `compile` included.
 */
import "./deploy";
import "./governance";
import "./settlement";
import "./settlement-status";
import "./settlement-pending";
import "./audit";
import "./policy-bundle";
import "./policy-replay";
import "./policy-conflicts";
import "./custody";
import "./devnet";
import "./validators";

export { installCliErrors } from "./cli";
export { printDeployment } from "./deploy";
export { PLUGIN_NAME, TaskError, toTaskError } from "./guard";
export { createOutput, formatTable, type Output } from "./output";
