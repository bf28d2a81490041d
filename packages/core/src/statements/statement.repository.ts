import { sql } from 'kysely';
import type { LedgerDb } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';

export interface StatementRow {
  id: Int8Value;
  entry_type: string;
  amount_minor: Int8Value;
  occurred_at: Date;
  available_at: Date;
  event_id: string | null;
  payout_id: Int8Value | null;
  running_balance: Int8Value;
}

export interface StatementPosition {
  occurredAt: string;
  id: string;
}

/**
 * One page of a statement in its stable order (occurred_at, id), after `after` when given. The
 * running balance starts from the sum of every entry before the page, so it is the balance from the
 * very first entry whatever page or range is asked for; the window function carries it through the page.
 */
export async function statementPage(
  db: LedgerDb,
  filter: { restaurantId: string; currency: string; from?: Date; to?: Date; after?: StatementPosition },
  limit: number,
  /** The running balance just before this page, when the caller already has it (streaming). */
  openingBalance?: Int8Value,
): Promise<StatementRow[]> {
  const after = filter.after;
  // Without a known opening balance, sum every entry before the page (an index-only scan). A stream
  // passes the previous batch's last running balance instead, so it never re-sums history.
  const opening = openingBalance !== undefined ? sql`${String(openingBalance)}::numeric` : sql`(SELECT balance FROM opening)`;
  const { rows } = await sql<StatementRow>`
    WITH page AS (
      SELECT le.id, le.entry_type, le.amount_minor, le.occurred_at, le.available_at, pe.event_id, le.payout_id
      FROM ledger_entries le LEFT JOIN processor_events pe ON pe.id = le.processor_event_id
      WHERE le.restaurant_id = ${filter.restaurantId} AND le.currency = ${filter.currency}
        AND (${filter.from ?? null}::timestamptz IS NULL OR le.occurred_at >= ${filter.from ?? null}::timestamptz)
        AND (${filter.to ?? null}::timestamptz IS NULL OR le.occurred_at <= ${filter.to ?? null}::timestamptz)
        AND (${after?.occurredAt ?? null}::timestamptz IS NULL
             OR (le.occurred_at, le.id) > (${after?.occurredAt ?? null}::timestamptz, ${after?.id ?? null}::bigint))
      ORDER BY le.occurred_at, le.id
      LIMIT ${limit}
    ),
    first_row AS (SELECT occurred_at, id FROM page ORDER BY occurred_at, id LIMIT 1),
    opening AS (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS balance
      FROM ledger_entries le, first_row f
      WHERE le.restaurant_id = ${filter.restaurantId} AND le.currency = ${filter.currency}
        AND (le.occurred_at, le.id) < (f.occurred_at, f.id)
    )
    SELECT page.*, ${opening} + SUM(page.amount_minor) OVER (ORDER BY page.occurred_at, page.id) AS running_balance
    FROM page
    ORDER BY page.occurred_at, page.id`.execute(db);
  return rows;
}
