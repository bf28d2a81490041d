import { sql } from 'kysely';
import type { LedgerDb } from '../db/database.ts';

export interface BalanceRow {
  restaurant_found: boolean;
  available: string | number | bigint;
  pending: string | number | bigint;
  total: string | number | bigint;
  last_event_at: Date | null;
}

/**
 * A restaurant's balance in one currency at `asOf`, summed from its ledger entries (one round trip;
 * an index-only scan of ledger_entries_balance_idx). Only entries that occurred at or before `asOf`
 * count; of those, available_at splits available from pending. `restaurant_found` tells an unknown
 * restaurant from one with no entries.
 */
export async function sumBalance(db: LedgerDb, restaurantId: string, currency: string, asOf: Date): Promise<BalanceRow> {
  const result = await sql<BalanceRow>`
    SELECT
      EXISTS (SELECT 1 FROM restaurants WHERE id = ${restaurantId}) AS restaurant_found,
      COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= ${asOf}), 0) AS available,
      COALESCE(SUM(amount_minor) FILTER (WHERE available_at > ${asOf}), 0) AS pending,
      COALESCE(SUM(amount_minor), 0) AS total,
      MAX(occurred_at) AS last_event_at
    FROM ledger_entries
    WHERE restaurant_id = ${restaurantId}
      AND currency = ${currency}
      AND occurred_at <= ${asOf}`.execute(db);
  const row = result.rows[0];
  if (row === undefined) throw new Error('an aggregate query returned no row');
  return row;
}
