/**
 * Ignition module of one consortium: Consortium (members, operators, accounts and shared settings set in the
 * constructor), its SettlementEngine, the AuditAnchor where members post their audit log heads, one
 * PermissionedToken per configured token, each made eligible with its cap during bootstrap, then
 * `completeBootstrap()` hands the consortium over to its members. Ignition modules are static, so the module
 * is built from a resolved configuration, under an id derived from the name.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ContractFuture, IgnitionModule } from "@nomicfoundation/ignition-core";
import type { ResolvedConsortiumConfig } from "../src/config";

/** The module's results: `consortium`, `engine`, `auditAnchor` and `token_<symbol>` for every token. */
export type ConsortiumModule = IgnitionModule<string, string, Record<string, ContractFuture<string>>>;

/** Result key of a token's contract future. */
export function tokenFutureKey(symbol: string): string {
  return `token_${symbol}`;
}

/** Builds the Ignition module that deploys and bootstraps the consortium `config` describes. */
export function buildConsortiumModule(config: ResolvedConsortiumConfig): ConsortiumModule {
  return buildModule(config.moduleId, (m) => {
    const members = config.members.map((member) => ({
      name: member.name,
      lei: member.lei,
      operators: member.operators,
      accounts: member.accounts,
    }));
    const settings = {
      ...config.settings,
      documentHash: config.policyDocument.hash,
      documentUri: config.policyDocument.uri,
    };
    const consortium = m.contract("Consortium", [members, settings]);
    const engine = m.contract("SettlementEngine", [consortium]);
    const auditAnchor = m.contract("AuditAnchor", [consortium]);

    const results: Record<string, ContractFuture<string>> = { consortium, engine, auditAnchor };
    const eligibility = config.tokens.map((token) => {
      const future = m.contract(
        "PermissionedToken",
        [token.name, token.symbol, token.decimals, consortium, engine, token.admin],
        { id: `PermissionedToken_${token.symbol}` },
      );
      results[tokenFutureKey(token.symbol)] = future;
      return m.call(consortium, "setAsset", [future, token.cap], { id: `setAsset_${token.symbol}` });
    });
    m.call(consortium, "completeBootstrap", [], { after: eligibility });
    return results;
  });
}
