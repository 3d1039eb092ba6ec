/**
 * Who and what a decoded call names, in the terms of the bank's policy: the counterparty's id (the member's
 * LEI, as the policy's data keys counterparties) for an account, and the asset's symbol for a token. The
 * on-chain directory reads both from the consortium and the token contracts, once per address.
 */
import { getAddress, type ContractRunner } from "ethers";
import { Consortium__factory, PermissionedToken__factory } from "../../../typechain-types";

export interface GateDirectory {
  /** The policy's id for the holder of `account` (undefined when it is nobody the consortium knows). */
  counterpartyOf(account: string): Promise<string | undefined>;
  /** The policy's symbol for `token` (undefined when it is not a token). */
  symbolOf(token: string): Promise<string | undefined>;
}

/** Reads the consortium's member registry and the tokens' symbols, caching each answer. */
export function onChainDirectory(consortium: string, runner: ContractRunner): GateDirectory {
  const registry = Consortium__factory.connect(consortium, runner);
  const parties = new Map<string, Promise<string | undefined>>();
  const symbols = new Map<string, Promise<string | undefined>>();
  const cached = <T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    let hit = map.get(key);
    if (hit === undefined) {
      hit = load();
      map.set(key, hit);
      // A failed read is retried next time rather than cached.
      hit.catch(() => map.delete(key));
    }
    return hit;
  };
  return {
    counterpartyOf: (account) =>
      cached(parties, getAddress(account), async () => {
        const id = await registry.accountMember(account);
        return id === 0n ? undefined : (await registry.member(id)).lei;
      }),
    symbolOf: (token) =>
      cached(symbols, getAddress(token), async () => {
        try {
          return await PermissionedToken__factory.connect(token, runner).symbol();
        } catch {
          return undefined;
        }
      }),
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
