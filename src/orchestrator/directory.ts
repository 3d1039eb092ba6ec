/**
 * Who and what a decoded call names, in the terms of the bank's policy: the counterparty's id (the member's
 * LEI, as the policy's data keys counterparties) for an account, and the asset's symbol for a token. The
 * on-chain directory reads counterparties from the consortium, once per account. Tokens are identified by
 * address against the bank's own configured list, never by what a contract's `symbol()` answers: a listed
 * look-alike whose `symbol()` returns "aEUR" is an unknown token.
 */
import { getAddress, type ContractRunner } from "ethers";
import { Consortium__factory } from "../../typechain-types";

export interface GateDirectory {
  /** The policy's id for the holder of `account` (undefined when it is nobody the consortium knows). */
  counterpartyOf(account: string): Promise<string | undefined>;
  /** The policy's symbol for `token` (undefined when it is not one of the bank's configured tokens). */
  symbolOf(token: string): Promise<string | undefined>;
  /** The call a consortium proposal would make (its `data`); without it, votes on proposals are not judged. */
  proposalData?(proposalId: bigint): Promise<string>;
}

/** Reads the consortium's member registry (caching each answer); tokens come from the bank's configured list. */
export function onChainDirectory(
  consortium: string,
  runner: ContractRunner,
  tokens: readonly { symbol: string; address: string }[],
): GateDirectory {
  const registry = Consortium__factory.connect(consortium, runner);
  const parties = new Map<string, Promise<string | undefined>>();
  const symbols = new Map(tokens.map((t) => [getAddress(t.address), t.symbol]));
  return {
    counterpartyOf: (account) => {
      const key = getAddress(account);
      let hit = parties.get(key);
      if (hit === undefined) {
        hit = registry.accountMember(key).then(async (id) => (id === 0n ? undefined : (await registry.member(id)).lei));
        parties.set(key, hit);
        // A failed read is retried next time rather than cached.
        hit.catch(() => parties.delete(key));
      }
      return hit;
    },
    symbolOf: (token) => Promise.resolve(symbols.get(getAddress(token))),
    // Read each time: a proposal's data never changes, but an id not yet proposed must not be cached as empty.
    proposalData: async (proposalId) => (await registry.proposal(proposalId)).data,
  };
}

/** A fixed directory (tests, or banks that keep counterparty and asset mappings in configuration). */
export function staticDirectory(
  parties: Readonly<Record<string, string>>,
  symbols: Readonly<Record<string, string>>,
): GateDirectory {
  const p = new Map(Object.entries(parties).map(([a, id]) => [getAddress(a), id]));
  const s = new Map(Object.entries(symbols).map(([a, sym]) => [getAddress(a), sym]));
  return {
    counterpartyOf: (account) => Promise.resolve(p.get(getAddress(account))),
    symbolOf: (token) => Promise.resolve(s.get(getAddress(token))),
  };
}
