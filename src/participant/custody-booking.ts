/**
 * Booking an omnibus account's settlements in the custody ledger. Once a settlement is final (settled and past
 * its reversal window), the client it was for is debited what the omnibus address delivered and credited what it
 * received: one movement per leg, under an id made of the settlement id and the leg, so a retried booking books
 * nothing twice. Debits are booked before credits, so a client whose position is too small gets nothing booked.
 * A settlement that is not final books nothing: a reversed one never became final, so it never reaches the ledger.
 */
import { getAddress } from "ethers";
import { CustodyMovementInvalidError, type BookingResult, type OmnibusLedger } from "../custody";
import type { SettlementTerms } from "../settlement";

/** `statusOf` of a settled trade past its reversal window (ISettlementEngine.Status.Final). */
export const STATUS_FINAL = 4n;

/** What booking a settlement did: nothing before it is final; else each leg's movement (`applied` false on a retry). */
export interface CustodyBooking {
  settlementId: string;
  clientId: string;
  status: bigint;
  movements: BookingResult[];
}

/** Books the final settlement `terms` of the omnibus address `omnibus` for `clientId` (see the module comment). */
export async function bookSettlement(
  ledger: OmnibusLedger,
  omnibus: string,
  booking: { terms: SettlementTerms; settlementId: string; clientId: string; status: bigint },
): Promise<CustodyBooking> {
  const { terms, settlementId, clientId, status } = booking;
  const done: CustodyBooking = { settlementId, clientId, status, movements: [] };
  if (status !== STATUS_FINAL) return done;
  const seller = getAddress(terms.seller) === omnibus;
  if (seller === (getAddress(terms.buyer) === omnibus)) {
    throw new CustodyMovementInvalidError("the omnibus address must be exactly one party of the settlement", {
      settlementId,
      omnibus,
    });
  }
  const legs = [{ leg: "asset", asset: terms.asset, amount: terms.assetAmount, out: seller }];
  if (terms.cashAmount > 0n) legs.push({ leg: "cash", asset: terms.cash, amount: terms.cashAmount, out: !seller });
  const reference = `settlement ${settlementId}`;
  for (const { leg, asset, amount, out } of [...legs.filter((l) => l.out), ...legs.filter((l) => !l.out)]) {
    const request = { movementId: `settlement:${settlementId}:${leg}`, clientId, asset, amount, reference };
    done.movements.push(await (out ? ledger.debit(request) : ledger.credit(request)));
  }
  return done;
}
