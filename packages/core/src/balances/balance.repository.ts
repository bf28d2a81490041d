import { type RawBuilder, sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';

export interface BalanceRow {
  restaurant_found: boolean;
  available: Int8Value;
  /** Counted entries not yet available, reserve releases excepted. */
  pending: Int8Value;
  /** Counted reserve releases not yet available (docs/settlement-settings.md). */
  reserved: Int8Value;
  total: Int8Value;
  last_event_at: Date | null;
  /** Entries read beyond the checkpoint used (all of them when there was none): what the sum cost. */
  entries_read: Int8Value;
}

/**
 * The sums of one restaurant and currency at `asOf`, from a checkpoint cut at or before `asOf`
 * plus what it does not cover (docs/adr/0001-balance-checkpoints.md):
 * - entries after the checkpoint (id > through_entry_id, late ones included), by id;
 * - checkpointed entries that occurred after the cut (clock skew), by occurred_at;
 * - checkpointed entries that matured after the cut, by available_at.
 * Available is every counted entry with available_at <= asOf (available_at >= occurred_at always),
 * total every entry with occurred_at <= asOf. Each part is an index-only range scan as long as the
 * activity since the checkpoint.
 *
 * `base` is one row (through_entry_id, cut_at, total, available): the checkpoint's values as
 * parameters (checkpointValues), or the latest checkpoint read in the same statement
 * (latestUsableCheckpoint; no row, no sums). Either way the three scans take its values as keys.
 */
function checkpointSums(restaurantId: string, currency: string, asOf: Date, base: RawBuilder<unknown>): RawBuilder<Omit<BalanceRow, 'restaurant_found' | 'last_event_at' | 'reserved'>> {
  const scope = sql`le.restaurant_id = ${restaurantId} AND le.currency = ${currency}`;
  return sql`
    SELECT
      base.total + after_cut.total + occurred_late.total AS total,
      base.available + after_cut.available + matured_late.available AS available,
      base.total + after_cut.total + occurred_late.total - (base.available + after_cut.available + matured_late.available) AS pending,
      after_cut.entries + occurred_late.entries + matured_late.entries AS entries_read
    FROM (${base}) AS base
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor) FILTER (WHERE le.occurred_at <= ${asOf}), 0) AS total,
             COALESCE(SUM(le.amount_minor) FILTER (WHERE le.available_at <= ${asOf}), 0) AS available,
             COUNT(*) AS entries
      FROM ledger_entries le
      WHERE ${scope} AND le.id > base.through_entry_id
    ) AS after_cut
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS total, COUNT(*) AS entries
      FROM ledger_entries le
      WHERE ${scope} AND le.occurred_at > base.cut_at AND le.occurred_at <= ${asOf} AND le.id <= base.through_entry_id
    ) AS occurred_late
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS available, COUNT(*) AS entries
      FROM ledger_entries le
      WHERE ${scope} AND le.available_at > base.cut_at AND le.available_at <= ${asOf} AND le.id <= base.through_entry_id
    ) AS matured_late`;
}

/** A checkpoint the caller has read, as checkpointSums' base row: its values reach the planner as parameters. */
function checkpointValues(from: BalanceCheckpointRow): RawBuilder<unknown> {
  return sql`SELECT ${String(from.through_entry_id)}::bigint AS through_entry_id, ${from.cut_at}::timestamptz AS cut_at,
                    ${String(from.total_minor)}::numeric AS total, ${String(from.available_minor)}::numeric AS available`;
}

/** The latest checkpoint of (restaurant, currency) as checkpointSums' base row, when it was cut at or before `asOf`; otherwise no row. */
function latestUsableCheckpoint(restaurantId: string, currency: string, asOf: Date): RawBuilder<unknown> {
  return sql`
      SELECT latest.through_entry_id, latest.cut_at, latest.total_minor AS total, latest.available_minor AS available
      FROM (${latestCheckpoint(restaurantId, currency)}) AS latest
      WHERE latest.cut_at <= ${asOf}`;
}

/**
 * The plain sum, with no checkpoint: every entry that occurred by `asOf` (an index-only range scan
 * of ledger_entries_balance_idx), as long as the history up to `asOf`.
 */
function plainSums(restaurantId: string, currency: string, asOf: Date): RawBuilder<Omit<BalanceRow, 'restaurant_found' | 'last_event_at' | 'reserved'>> {
  return sql`
    SELECT COALESCE(SUM(amount_minor), 0) AS total,
           COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= ${asOf}), 0) AS available,
           COALESCE(SUM(amount_minor) FILTER (WHERE available_at > ${asOf}), 0) AS pending,
           COUNT(*) AS entries_read
    FROM ledger_entries
    WHERE restaurant_id = ${restaurantId} AND currency = ${currency} AND occurred_at <= ${asOf}`;
}

export interface BalanceCheckpointRow {
  through_entry_id: Int8Value;
  cut_at: Date;
  total_minor: string | number;
  available_minor: string | number;
}

function latestCheckpoint(restaurantId: string, currency: string): RawBuilder<BalanceCheckpointRow> {
  return sql`
      SELECT through_entry_id, cut_at, total_minor, available_minor
      FROM balance_checkpoints
      WHERE restaurant_id = ${restaurantId} AND currency = ${currency}
      ORDER BY through_entry_id DESC
      LIMIT 1`;
}

/**
 * The checkpoint a balance at `asOf` starts from: the latest of (restaurant, currency), when it was
 * cut at or before `asOf`; otherwise null, and the balance is the plain sum up to `asOf`. (An older
 * checkpoint would not save anything: every entry inserted after it, late ones included, would
 * have to be read, which for a moment long past is most of the history.)
 */
export async function findBalanceCheckpoint(db: LedgerDb, restaurantId: string, currency: string, asOf: Date): Promise<BalanceCheckpointRow | null> {
  const { rows } = await latestCheckpoint(restaurantId, currency).execute(db);
  const latest = rows[0];
  return latest !== undefined && latest.cut_at.getTime() <= asOf.getTime() ? latest : null;
}

/**
 * A restaurant's balance in one currency at `asOf`, from the latest checkpoint of (restaurant,
 * currency) when it was cut at or before `asOf`, read in the same statement: one round trip, the
 * balance route's. Undefined when there is no such checkpoint: then the balance is the plain sum
 * (sumBalance with null), as long as the history up to `asOf`.
 */
export async function sumBalanceFromLatestCheckpoint(db: LedgerDb, restaurantId: string, currency: string, asOf: Date): Promise<BalanceRow | undefined> {
  const { rows } = await balanceStatement(restaurantId, currency, asOf, checkpointSums(restaurantId, currency, asOf, latestUsableCheckpoint(restaurantId, currency, asOf))).execute(db);
  return rows[0];
}

/**
 * A restaurant's balance in one currency at `asOf`, from `from` (findBalanceCheckpoint: the latest
 * checkpoint, or null for the plain sum).
 */
export async function sumBalance(
  db: LedgerDb,
  restaurantId: string,
  currency: string,
  asOf: Date,
  from: BalanceCheckpointRow | null,
): Promise<BalanceRow> {
  const sums = from === null ? plainSums(restaurantId, currency, asOf) : checkpointSums(restaurantId, currency, asOf, checkpointValues(from));
  const { rows } = await balanceStatement(restaurantId, currency, asOf, sums).execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('an aggregate query returned no row');
  return row;
}

/**
 * The balance around `sums`: only entries that occurred at or before `asOf` count; of those,
 * available_at splits available from the rest, and of the rest the reserve releases are `reserved`,
 * the others `pending`. `restaurant_found` tells an unknown restaurant from one with no entries.
 * `reserved` is not a prefix sum, so it is not checkpointed: it reads the releases still ahead of
 * `asOf` (a partial index, as many as reserve_days of charges), whatever the checkpoint; the
 * checkpoint's total and available keep their meaning.
 *
 * Prepared (PREPARED_MARKER): planning this statement cost more than running it, and the generic
 * plan PostgreSQL keeps after five runs is the same index-only plan (docs/performance.md).
 */
function balanceStatement(restaurantId: string, currency: string, asOf: Date, sums: RawBuilder<unknown>): RawBuilder<BalanceRow> {
  return sql<BalanceRow>`/* prepared */
    WITH sums AS (${sums})
    SELECT
      EXISTS (SELECT 1 FROM restaurants WHERE id = ${restaurantId}) AS restaurant_found,
      sums.available, sums.pending - reserve.reserved AS pending, reserve.reserved, sums.total, sums.entries_read,
      (SELECT MAX(le.occurred_at) FROM ledger_entries le
        WHERE le.restaurant_id = ${restaurantId} AND le.currency = ${currency} AND le.occurred_at <= ${asOf}) AS last_event_at
    FROM sums
    CROSS JOIN (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS reserved FROM ledger_entries le
      WHERE le.restaurant_id = ${restaurantId} AND le.currency = ${currency} AND le.entry_type = 'reserve_release'
        AND le.available_at > ${asOf} AND le.occurred_at <= ${asOf}
    ) AS reserve`;
}

/**
 * Takes the checkpoint lock of (restaurant, currency)'s bucket (one of 64, shared with other
 * restaurants): waits for every insert in flight on it to finish, and holds new ones until this
 * transaction ends. Gives up after `waitMs` (SQLSTATE 55P03).
 */
export async function lockBalanceForCheckpoint(trx: LedgerTransaction, restaurantId: string, currency: string, waitMs: number): Promise<void> {
  await sql`SELECT set_config('lock_timeout', ${`${waitMs}ms`}, true)`.execute(trx);
  await sql`SELECT pg_advisory_xact_lock(1279608903, ledger_balance_lock_bucket(${restaurantId}, ${currency}))`.execute(trx);
}

/**
 * Writes a checkpoint cut at `cutAt` covering every entry committed so far, computed from `from`
 * (findBalanceCheckpoint at `cutAt`) plus what came after it, so writing one costs the recent
 * activity too. Call under lockBalanceForCheckpoint. Returns the entries it covers, or undefined when nothing
 * was added since the latest checkpoint (no row is written).
 */
export async function insertBalanceCheckpoint(
  trx: LedgerTransaction,
  restaurantId: string,
  currency: string,
  cutAt: Date,
  from: BalanceCheckpointRow | null,
): Promise<{ through_entry_id: Int8Value; entries_read: Int8Value } | undefined> {
  const { rows } = await sql<{ through_entry_id: Int8Value; entries_read: Int8Value }>`
    WITH through AS (
      SELECT MAX(le.id) AS id FROM ledger_entries le WHERE le.restaurant_id = ${restaurantId} AND le.currency = ${currency}
    ),
    sums AS (${from === null ? plainSums(restaurantId, currency, cutAt) : checkpointSums(restaurantId, currency, cutAt, checkpointValues(from))})
    INSERT INTO balance_checkpoints (restaurant_id, currency, through_entry_id, cut_at, total_minor, available_minor, entries_read)
    SELECT ${restaurantId}, ${currency}, through.id, ${cutAt}, sums.total, sums.available, sums.entries_read
    FROM through, sums
    WHERE through.id IS NOT NULL
      AND through.id > COALESCE((SELECT MAX(through_entry_id) FROM balance_checkpoints
                                 WHERE restaurant_id = ${restaurantId} AND currency = ${currency}), 0)
    RETURNING through_entry_id, entries_read`.execute(trx);
  return rows[0];
}
