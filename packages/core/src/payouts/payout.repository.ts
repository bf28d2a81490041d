import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import { type Int8Value, int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { entriesSettledBy } from './payout-eligibility.repository.ts';
import type { PayoutStatus } from './payout.schema.ts';

export interface PayoutRow {
  id: Int8Value;
  run_id: Int8Value;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8Value;
  status: string;
  as_of: string;
  created_at: Date;
  paid_at: Date | null;
}

const PAYOUT_COLUMNS = sql`id, run_id, restaurant_id, currency, amount_minor, status, to_char(as_of, 'YYYY-MM-DD') AS as_of, created_at, paid_at`;

/** Locks the payout row until the transaction ends (payout_* events for one payout serialize here). */
export async function findPayoutForUpdate(
  trx: LedgerTransaction,
  payoutId: string,
): Promise<{ id: string; restaurant_id: string; currency: string; amount: number; status: string; created_at: Date } | undefined> {
  const { rows } = await sql<PayoutRow>`SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE id = ${payoutId} FOR UPDATE`.execute(trx);
  const row = rows[0];
  return row === undefined
    ? undefined
    : {
        id: int8ToId(row.id),
        restaurant_id: row.restaurant_id,
        currency: row.currency,
        amount: int8ToSafeInteger(row.amount_minor),
        status: row.status,
        created_at: row.created_at,
      };
}

export async function setPayoutStatus(trx: LedgerTransaction, payoutId: string, status: PayoutStatus, paidAt: string | null): Promise<void> {
  await sql`UPDATE payouts SET status = ${status}, paid_at = ${paidAt}::timestamptz, updated_at = now() WHERE id = ${payoutId}`.execute(trx);
}

/** created → processing; returns the row when this call moved it. */
export async function markPayoutProcessing(db: LedgerDb, payoutId: string): Promise<PayoutRow | undefined> {
  const { rows } = await sql<PayoutRow>`
    UPDATE payouts SET status = 'processing', updated_at = now() WHERE id = ${payoutId} AND status = 'created'
    RETURNING ${PAYOUT_COLUMNS}`.execute(db);
  return rows[0];
}

export async function findPayout(db: LedgerDb, payoutId: string): Promise<PayoutRow | undefined> {
  const { rows } = await sql<PayoutRow>`SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE id = ${payoutId}`.execute(db);
  return rows[0];
}

/** Keyset page in id order: ids after `afterId`, at most `limit` (+1 to tell whether more follow). */
export async function findPayoutPage(
  db: LedgerDb,
  filter: { run_id?: string; restaurant_id?: string; currency?: string; status?: string; afterId?: string },
  limit: number,
): Promise<PayoutRow[]> {
  const { rows } = await sql<PayoutRow>`
    SELECT ${PAYOUT_COLUMNS} FROM payouts
    WHERE (${filter.run_id ?? null}::bigint IS NULL OR run_id = ${filter.run_id ?? null}::bigint)
      AND (${filter.restaurant_id ?? null}::text IS NULL OR restaurant_id = ${filter.restaurant_id ?? null})
      AND (${filter.currency ?? null}::text IS NULL OR currency = ${filter.currency ?? null})
      AND (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
      AND id > ${filter.afterId ?? '0'}::bigint
    ORDER BY id
    LIMIT ${limit + 1}`.execute(db);
  return rows;
}

const payoutIdArray = (payoutIds: readonly string[]) => sql`${sql.raw('ARRAY[')}${sql.join(payoutIds.map((id) => sql`${id}::bigint`))}${sql.raw(']')}`;

/**
 * Per payout, the deficit its earnings first paid back: minus the lowest running sum of the entries
 * it settles (its own payout entry excluded) in available_at, id order, when that goes below zero;
 * else 0. A payout that settles only non-negative running sums has no row.
 */
export async function findPayoutDeficits(db: LedgerDb, payoutIds: readonly string[]): Promise<Array<{ payout_id: Int8Value; deficit_recovered: Int8Value }>> {
  if (payoutIds.length === 0) return [];
  const { rows } = await sql<{ payout_id: Int8Value; deficit_recovered: Int8Value }>`
    SELECT payout_id, -MIN(running) AS deficit_recovered
    FROM (
      SELECT p.id AS payout_id, SUM(s.amount_minor) OVER (PARTITION BY p.id ORDER BY s.available_at, s.id) AS running
      FROM payouts p
      CROSS JOIN LATERAL (${entriesSettledBy('p', sql`le.id, le.available_at, le.amount_minor`)}) AS s
      WHERE p.id = ANY(${payoutIdArray(payoutIds)})
    ) AS settled
    GROUP BY payout_id
    HAVING MIN(running) < 0
    ORDER BY payout_id`.execute(db);
  return rows;
}

/** Each payout's settled entries summed by type, its own payout entry excluded: its items. */
export async function findPayoutItems(
  db: LedgerDb,
  payoutIds: readonly string[],
): Promise<Array<{ payout_id: Int8Value; entry_type: string; amount_minor: Int8Value }>> {
  if (payoutIds.length === 0) return [];
  const { rows } = await sql<{ payout_id: Int8Value; entry_type: string; amount_minor: Int8Value }>`
    SELECT p.id AS payout_id, s.entry_type, SUM(s.amount_minor) AS amount_minor
    FROM payouts p
    CROSS JOIN LATERAL (${entriesSettledBy('p', sql`le.entry_type, le.amount_minor`)}) AS s
    WHERE p.id = ANY(${payoutIdArray(payoutIds)})
    GROUP BY p.id, s.entry_type
    ORDER BY p.id, s.entry_type`.execute(db);
  return rows;
}
