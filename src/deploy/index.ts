/**
 * Deploying consortia: runs the Ignition module of `deploy/consortium.ts` from a configuration file, records
 * addresses per network (`deployments/<network>.json`, or memory for the in-process network), checks recorded
 * deployments against the chain so that a re-run does nothing, and funds accounts on local networks.
 */
export { deployConsortium, type DeployOptions, type DeployResult } from "./deploy";
export { fundAccounts, type FundingEntry } from "./funding";
export {
  defaultDeploymentStore,
  deploymentRecordSchema,
  FileDeploymentStore,
  MemoryDeploymentStore,
  type DeploymentRecord,
  type DeploymentStore,
  type MemberRecord,
  type TokenRecord,
} from "./store";
export { checkDeployment, type DeploymentCheck } from "./verify";
