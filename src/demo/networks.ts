/**
 * The networks the demo (and the readiness task, which runs it) deploys on: the in-process one and the local QBFT
 * devnet, both with development keys only, each with the consortium configuration that suits its clock. Kept
 * light: the tasks read it before they load the demo.
 */

/** Network name to the consortium configuration the demo deploys there by default. */
export const DEMO_CONSORTIUM_CONFIGS: Readonly<Record<string, string>> = {
  hardhat: "deploy/consortia/demo.json",
  qbft: "deploy/consortia/devnet.json",
};

/** The network of the local QBFT devnet, whose validators the readiness task can stop. */
export const DEVNET_NETWORK = "qbft";
