/**
 * Reconciliation of omnibus custody: per asset, the sum of the clients' positions in the ledger against the
 * omnibus address's balance on chain (`balanceOf` of the token contract, read at one block for every asset).
 * A mismatch is a result, not an error: the report says which assets differ and by how much.
 */
import { Interface, getAddress, type Provider } from "ethers";
import type { OmnibusCustodyConfig } from "./config";
import { CustodyAssetUnreadableError } from "./errors";
import type { OmnibusLedger } from "./ledger";

/** The two ERC-20 views reconciliation needs (PermissionedToken is an ERC-20). */
const TOKEN_ABI = new Interface([
  "function balanceOf(address account) view returns (uint256)",
  "function symbol() view returns (string)",
]);

export type ReconcileStatus = "ok" | "mismatch";

/** One asset's line of the report. `difference` is on-chain minus ledger: positive when the chain holds more. */
export interface AssetReconciliation {
  asset: string;
  symbol: string;
  ledgerTotal: bigint;
  onChainBalance: bigint;
  difference: bigint;
  status: ReconcileStatus;
}

export interface ReconciliationReport {
  bank: string;
  omnibus: string;
  /** The block every balance was read at. */
  blockNumber: number;
  assets: AssetReconciliation[];
  /** True when every asset reconciles. */
  ok: boolean;
}

/**
 * Reconciles the ledger with the chain for every asset the configuration lists or the ledger books. The ledger
 * is read first, in one snapshot; movements booked while the balances are read show up as a mismatch, so run it
 * when the desk is quiet or read twice.
 */
export async function reconcile(
  ledger: OmnibusLedger,
  provider: Provider,
  config: Pick<OmnibusCustodyConfig, "bank" | "omnibus" | "assets">,
): Promise<ReconciliationReport> {
  const totals = await ledger.totals();
  const symbols = new Map(config.assets.map((a) => [a.address, a.symbol]));
  const assets = [...new Set([...config.assets.map((a) => a.address), ...totals.keys()])].sort();
  const blockNumber = await provider.getBlockNumber();
  const omnibus = getAddress(config.omnibus.address);
  const lines = await Promise.all(
    assets.map(async (asset): Promise<AssetReconciliation> => {
      const ledgerTotal = totals.get(asset) ?? 0n;
      const onChainBalance = await balanceAt(provider, asset, omnibus, blockNumber);
      const symbol = symbols.get(asset) ?? (await symbolOf(provider, asset, blockNumber));
      const difference = onChainBalance - ledgerTotal;
      return { asset, symbol, ledgerTotal, onChainBalance, difference, status: difference === 0n ? "ok" : "mismatch" };
    }),
  );
  return { bank: config.bank, omnibus, blockNumber, assets: lines, ok: lines.every((l) => l.status === "ok") };
}

async function call(provider: Provider, asset: string, blockTag: number, fn: string, args: unknown[]) {
  if ((await provider.getCode(asset, blockTag)) === "0x") {
    throw new CustodyAssetUnreadableError(asset, `no contract at ${asset} (wrong network?)`);
  }
  try {
    const data = await provider.call({ to: asset, data: TOKEN_ABI.encodeFunctionData(fn, args), blockTag });
    return TOKEN_ABI.decodeFunctionResult(fn, data)[0] as unknown;
  } catch (error) {
    throw new CustodyAssetUnreadableError(asset, `${fn} failed`, error);
  }
}

async function balanceAt(provider: Provider, asset: string, owner: string, blockTag: number): Promise<bigint> {
  return (await call(provider, asset, blockTag, "balanceOf", [owner])) as bigint;
}

async function symbolOf(provider: Provider, asset: string, blockTag: number): Promise<string> {
  try {
    return String(await call(provider, asset, blockTag, "symbol", []));
  } catch {
    return "?";
  }
}
