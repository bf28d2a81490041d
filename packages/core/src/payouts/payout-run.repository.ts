import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';
import { type PayoutDecisionRow, payoutDecisions, type PayoutTerms, textArray, unsettledAtCutoff } from './payout-eligibility.repository.ts';
import { PAYOUT_SKIP_REASONS, type PayoutSkipCounts, type PayoutSkipReason } from './payout.schema.ts';

/** A skip counter per reason, as payout_runs names its columns. */
export type SkipCounterColumns = { [R in PayoutSkipReason as `skipped_${R}`]: number };

export interface PayoutRunRow extends SkipCounterColumns {
  id: Int8Value;
  status: string;
  currency: string;
  as_of: string;
  min_amount: Int8Value;
  cutoff: Date | null;
  cursor_restaurant_id: string | null;
  /** How the run was created: `manual` (POST /v1/payouts/run) or `schedule` (the scheduler, for one restaurant). */
  trigger: string;
  restaurant_id: string | null;
  scheduled_date: string | null;
  created_count: number;
  attempts: number;
  last_error: string | null;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const skipCounter = (reason: PayoutSkipReason) => sql.raw(`skipped_${reason}`);

const RUN_COLUMNS = sql`id, status, currency, to_char(as_of, 'YYYY-MM-DD') AS as_of, min_amount, cutoff, cursor_restaurant_id,
  trigger, restaurant_id, to_char(scheduled_date, 'YYYY-MM-DD') AS scheduled_date, created_count, ${sql.join(PAYOUT_SKIP_REASONS.map(skipCounter))}, attempts, last_error, requested_at, started_at, finished_at`;

export async function insertPayoutRun(db: LedgerDb, run: { currency: string; as_of: string; min_amount: number }): Promise<PayoutRunRow> {
  const { rows } = await sql<PayoutRunRow>`
    INSERT INTO payout_runs (currency, as_of, min_amount) VALUES (${run.currency}, ${run.as_of}::date, ${run.min_amount})
    RETURNING ${RUN_COLUMNS}`.execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
  return row;
}

export async function findPayoutRun(db: LedgerDb, runId: string): Promise<PayoutRunRow | undefined> {
  const { rows } = await sql<PayoutRunRow>`SELECT ${RUN_COLUMNS} FROM payout_runs WHERE id = ${runId}`.execute(db);
  return rows[0];
}

/**
 * Claims the oldest queued run, or a running one whose lease expired (its worker died), for
 * `owner` until now + leaseMs. SKIP LOCKED lets several workers claim different runs at once. The
 * cutoff is fixed on the first claim: the end of the as_of day (UTC) or now, whichever is earlier.
 */
export async function claimPayoutRun(db: LedgerDb, owner: string, now: Date, leaseMs: number): Promise<PayoutRunRow | undefined> {
  const { rows } = await sql<PayoutRunRow>`
    UPDATE payout_runs SET
      status = 'running',
      lease_owner = ${owner},
      lease_expires_at = ${now}::timestamptz + make_interval(secs => ${leaseMs / 1000}),
      attempts = attempts + 1,
      started_at = COALESCE(started_at, ${now}::timestamptz),
      cutoff = COALESCE(cutoff, LEAST(((as_of + 1)::timestamp AT TIME ZONE 'UTC') - interval '1 microsecond', ${now}::timestamptz))
    WHERE id = (
      SELECT id FROM payout_runs
      WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < ${now}::timestamptz)
      ORDER BY id
      LIMIT 1
      FOR UPDATE SKIP LOCKED)
    RETURNING ${RUN_COLUMNS}`.execute(db);
  return rows[0];
}

/** Extends the lease; false when `owner` no longer holds the run (another worker took it over). */
export async function renewPayoutRunLease(trx: LedgerTransaction, runId: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
  const result = await sql`
    UPDATE payout_runs SET lease_expires_at = ${now}::timestamptz + make_interval(secs => ${leaseMs / 1000})
    WHERE id = ${runId} AND lease_owner = ${owner} AND status = 'running'`.execute(trx);
  return (result.numAffectedRows ?? 0n) > 0n;
}

export interface BatchProgress {
  cursor: string;
  created: number;
  skipped: PayoutSkipCounts;
}

/** Records a batch's progress in the batch's own transaction, so progress and payouts commit together. */
export async function advancePayoutRun(trx: LedgerTransaction, runId: string, progress: BatchProgress): Promise<void> {
  const counters = PAYOUT_SKIP_REASONS.map((reason) => sql`${skipCounter(reason)} = ${skipCounter(reason)} + ${progress.skipped[reason]}`);
  await sql`
    UPDATE payout_runs SET
      cursor_restaurant_id = ${progress.cursor},
      created_count = created_count + ${progress.created},
      ${sql.join(counters, sql`,
      `)}
    WHERE id = ${runId}`.execute(trx);
}

/** Ends the run held by `owner`: completed, failed, or back to queued (released on shutdown or for a retry). */
export async function settlePayoutRun(
  db: LedgerDb,
  runId: string,
  owner: string,
  outcome: { status: 'completed' | 'failed' | 'queued'; now: Date; error?: string },
): Promise<void> {
  await sql`
    UPDATE payout_runs SET
      status = ${outcome.status},
      lease_owner = NULL,
      lease_expires_at = NULL,
      last_error = COALESCE(${outcome.error ?? null}, last_error),
      finished_at = CASE WHEN ${outcome.status} IN ('completed', 'failed') THEN ${outcome.now}::timestamptz END
    WHERE id = ${runId} AND lease_owner = ${owner}`.execute(db);
}

/**
 * The next restaurants (in id order, after `afterId`) with any entry in the currency; only `onlyId`
 * when given (a scheduled run pays its one restaurant).
 */
export async function nextRestaurantBatch(
  trx: LedgerTransaction,
  currency: string,
  afterId: string | null,
  size: number,
  onlyId: string | null = null,
): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    SELECT r.id FROM restaurants r
    WHERE r.id > ${afterId ?? ''}
      AND (${onlyId}::text IS NULL OR r.id = ${onlyId})
      AND EXISTS (SELECT 1 FROM ledger_entries le WHERE le.restaurant_id = r.id AND le.currency = ${currency})
    ORDER BY r.id
    LIMIT ${size}`.execute(trx);
  return rows.map((row) => row.id);
}

/**
 * The batch's decisions by the payout eligibility rule (payout-eligibility.repository.ts), one row
 * per restaurant of the batch, in id order.
 */
export async function decideBatch(trx: LedgerTransaction, restaurantIds: readonly string[], terms: PayoutTerms): Promise<PayoutDecisionRow[]> {
  const { rows } = await sql<PayoutDecisionRow>`
    SELECT restaurant_id, amount, skip_reason FROM (${payoutDecisions(restaurantIds, terms)}) AS decisions
    ORDER BY restaurant_id`.execute(trx);
  return rows;
}

/**
 * Creates the payouts of a batch with their -amount entries and settlement records, in the
 * batch's REPEATABLE READ snapshot, so the settled entries are exactly those that were summed.
 * Returns, per payout, the sum of what it settled (its own entry excluded) for the caller to check.
 */
export async function createPayouts(
  trx: LedgerTransaction,
  run: { id: string; currency: string; as_of: string; cutoff: Date; now: Date },
  payouts: ReadonlyArray<{ restaurant_id: string; amount: number }>,
): Promise<Array<{ payout_id: Int8Value; restaurant_id: string; amount_minor: Int8Value; settled_minor: Int8Value }>> {
  if (payouts.length === 0) return [];
  const values = sql.join(payouts.map((p) => sql`(${p.restaurant_id}::text, ${p.amount}::bigint)`));
  const { rows } = await sql<{ payout_id: Int8Value; restaurant_id: string; amount_minor: Int8Value; settled_minor: Int8Value }>`
    WITH wanted (restaurant_id, amount_minor) AS (VALUES ${values}),
    created AS (
      INSERT INTO payouts (restaurant_id, currency, amount_minor, as_of, cutoff, run_id, created_at)
      SELECT restaurant_id, ${run.currency}, amount_minor, ${run.as_of}::date, ${run.cutoff}::timestamptz, ${run.id}::bigint, ${run.now}::timestamptz
      FROM wanted
      RETURNING id, restaurant_id, amount_minor
    ),
    payout_entries AS (
      INSERT INTO ledger_entries (payout_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT id, restaurant_id, ${run.currency}, 'payout', -amount_minor, ${run.now}::timestamptz, ${run.now}::timestamptz
      FROM created
      RETURNING id, payout_id
    ),
    settled AS (
      INSERT INTO payout_settlements (payout_id, ledger_entry_id)
      SELECT c.id, le.id FROM created c JOIN ledger_entries le ON le.restaurant_id = c.restaurant_id
      -- The restaurant list again, as a constant: the planner then reads just these restaurants'
      -- entries through the index instead of scanning the ledger to join a CTE it cannot size.
      WHERE le.restaurant_id = ANY(${textArray(payouts.map((p) => p.restaurant_id))}) AND ${unsettledAtCutoff(run.currency, run.cutoff)}
      UNION ALL
      SELECT payout_id, id FROM payout_entries
      RETURNING payout_id, ledger_entry_id
    ),
    -- What each payout really settled, summed once from the rows the settled CTE returned. The new
    -- payout entries are invisible to this statement's snapshot, so they drop out of the join.
    settled_sums AS (
      SELECT s.payout_id, SUM(le.amount_minor) AS settled_minor
      FROM settled s JOIN ledger_entries le ON le.id = s.ledger_entry_id
      GROUP BY s.payout_id
    )
    SELECT c.id AS payout_id, c.restaurant_id, c.amount_minor, COALESCE(ss.settled_minor, 0) AS settled_minor
    FROM created c LEFT JOIN settled_sums ss ON ss.payout_id = c.id`.execute(trx);
  return rows;
}

export interface PayoutRunFilter {
  trigger?: string;
  restaurant_id?: string;
  currency?: string;
  scheduled_date?: string;
  afterId?: string;
}

/** Runs in id order after `afterId`, filtered; one more than `limit` when there is a next page. */
export async function findPayoutRunPage(db: LedgerDb, filter: PayoutRunFilter, limit: number): Promise<PayoutRunRow[]> {
  const { rows } = await sql<PayoutRunRow>`
    SELECT ${RUN_COLUMNS} FROM payout_runs
    WHERE (${filter.trigger ?? null}::text IS NULL OR trigger = ${filter.trigger ?? null})
      AND (${filter.restaurant_id ?? null}::text IS NULL OR restaurant_id = ${filter.restaurant_id ?? null})
      AND (${filter.currency ?? null}::text IS NULL OR currency = ${filter.currency ?? null})
      AND (${filter.scheduled_date ?? null}::date IS NULL OR scheduled_date = ${filter.scheduled_date ?? null}::date)
      AND id > ${filter.afterId ?? '0'}::bigint
    ORDER BY id
    LIMIT ${limit + 1}`.execute(db);
  return rows;
}
