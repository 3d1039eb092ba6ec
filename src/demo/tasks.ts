/**
 * The demo's Hardhat commands, `demo` and `readiness`, registered by `hardhat.config.ts` beside the operator
 * tasks (src/tasks). The demo builds on the operator tasks' context, output and revert decoding; the tasks
 * never import the demo, so the two folders have no import cycle.
 */
import "./demo-task";
import "./readiness-task";
