import { int8ToSafeInteger } from '../db/int8.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { restaurantNotFound } from '../restaurants/restaurant.service.ts';
import { CHECKPOINT_AFTER_ENTRIES_DEFAULT } from '../limits.ts';
import { sumBalance, sumBalanceFromLatestCheckpoint } from './balance.repository.ts';
import type { Balance, BalanceQuery } from './balance.schema.ts';

/**
 * Available, pending, reserved and total for one restaurant and currency, computed from the ledger every
 * time (there is no stored balance): from the latest checkpoint plus the entries since, and a
 * read that found many entries since asks for a new checkpoint. `as_of` defaults to now; a past `as_of` replays the balance as
 * it stood then.
 * @throws LedgerError RESTAURANT_NOT_FOUND
 */
export async function getBalance(ctx: LedgerContext, query: BalanceQuery): Promise<Balance> {
  const asOf = query.as_of ?? ctx.clock();
  // One round trip from the latest checkpoint; without a usable one, the plain sum.
  const row =
    (await sumBalanceFromLatestCheckpoint(ctx.db, query.restaurant_id, query.currency, asOf)) ??
    (await sumBalance(ctx.db, query.restaurant_id, query.currency, asOf, null));
  if (!row.restaurant_found) throw restaurantNotFound(query.restaurant_id);
  if (int8ToSafeInteger(row.entries_read) > (ctx.checkpointAfterEntries ?? CHECKPOINT_AFTER_ENTRIES_DEFAULT)) {
    ctx.balanceCheckpoints?.request(query.restaurant_id, query.currency);
  }
  return {
    restaurant_id: query.restaurant_id,
    currency: query.currency,
    available: int8ToSafeInteger(row.available),
    pending: int8ToSafeInteger(row.pending),
    reserved: int8ToSafeInteger(row.reserved),
    total: int8ToSafeInteger(row.total),
    last_event_at: row.last_event_at?.toISOString() ?? null,
    as_of: asOf.toISOString(),
  };
}
