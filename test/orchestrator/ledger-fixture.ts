/**
 * A gate over the signing ledger without a chain, for the ledger's tests and their crash worker: a SoftHSM key
 * behind double-sign protection, the bank policy (a signed bundle directory), and the audit log, reservations
 * and signing records in one SQLite file. Every call is a settlement instruct (DvP with Bank B), all allowed.
 */
import { dataSlice, getAddress, id, type TransactionRequest } from "ethers";
import path from "node:path";
import {
  CallDecoder,
  PolicyGatedSigner,
  SigningLedger,
  staticDirectory,
  type SignatureLedger,
} from "../../src/orchestrator";
import { PolicyEngine, PolicyRegistry, readBundle } from "../../src/policy";
import { HsmSigner, NonceAllocator, ProtectedSigner, type HsmSignerConfigInput } from "../../src/signer";
import { SettlementEngine__factory } from "../../typechain-types";

export const LEDGER_CHAIN_ID = 2026;
/** Friday 2025-11-21 10:00 UTC: 11:00 at the bank, inside business hours. */
export const LEDGER_NOW = 1_763_719_200;
export const LEDGER_BANK_B = "529900T8BM49AURSDO55";
const addressOf = (name: string): string => getAddress(dataSlice(id(`ledger-test:${name}`), 12));
export const PARTIES = {
  engine: addressOf("engine"),
  cash: addressOf("cash"),
  bond: addressOf("bond"),
  ours: addressOf("our-account"),
  theirs: addressOf("bank-b-account"),
};

/** What a gate over a ledger needs: the ledger's file, a signed bundle's directory, the HSM key. */
export interface LedgerGateSetup {
  ledgerPath: string;
  bundleDir: string;
  complianceKeys: string[];
  hsm: HsmSignerConfigInput;
  /** Opens another ledger than the SQLite one at `ledgerPath` (the PostgreSQL one). */
  openLedger?: () => Promise<SignatureLedger>;
}

/** A legacy, gas-price-0 `instruct` of a DvP with Bank B (a distinct trade per `ref`), nonce left to the signer. */
export function instructCall(ref: string): TransactionRequest {
  const data = SettlementEngine__factory.createInterface().encodeFunctionData("instruct", [
    {
      tradeRef: id(`ledger-test:${ref}`),
      kind: 0,
      seller: PARTIES.ours,
      buyer: PARTIES.theirs,
      asset: PARTIES.bond,
      assetAmount: 10n,
      cash: PARTIES.cash,
      cashAmount: 1_000_00n,
    },
  ]);
  return { type: 0, to: PARTIES.engine, data, gasPrice: 0n, gasLimit: 300_000n, chainId: LEDGER_CHAIN_ID };
}

/** Opens the ledger, the engine on its reservations and the gate; `close` closes all of it. */
export async function openLedgerGate<L extends SignatureLedger = SigningLedger>(setup: LedgerGateSetup) {
  const ledger = (await (
    setup.openLedger ?? (() => Promise.resolve(SigningLedger.open({ path: setup.ledgerPath })))
  )()) as L;
  const hsm = await HsmSigner.create(setup.hsm);
  const registry = await PolicyRegistry.open({
    complianceKeys: setup.complianceKeys,
    threshold: 2,
    chainId: LEDGER_CHAIN_ID,
    audit: ledger.audit,
  });
  await registry.activate(await readBundle(setup.bundleDir));
  const engine = PolicyEngine.open({
    config: {},
    registry,
    audit: ledger.audit,
    reservations: ledger.reservations,
    now: () => LEDGER_NOW,
  });
  const gate = new PolicyGatedSigner({
    inner: new ProtectedSigner(hsm, new NonceAllocator(ledger.records)),
    engine,
    decoder: new CallDecoder({
      engine: PARTIES.engine,
      tokens: [PARTIES.cash, PARTIES.bond],
      accounts: [PARTIES.ours],
    }),
    directory: staticDirectory(
      { [PARTIES.theirs]: LEDGER_BANK_B },
      { [PARTIES.cash]: "EURT", [PARTIES.bond]: "BOND-DE-2030" },
    ),
    audit: ledger.audit,
    ledger,
    initiator: { id: "trader-1", roles: ["trader"] },
    keyTier: "hot",
    screening: () => "clear",
    chainId: LEDGER_CHAIN_ID,
  });
  const close = async (): Promise<void> => {
    await engine.close();
    await ledger.close();
    await hsm.close();
  };
  return { ledger, engine, gate, hsm, close, dir: path.dirname(setup.ledgerPath) };
}
