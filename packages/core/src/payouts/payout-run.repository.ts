import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';
import { PAYOUT_WATERMARK_WAIT_MS } from '../limits.ts';
import { payoutDecisions, type PayoutTerms } from './payout-eligibility.repository.ts';
import { PAYOUT_SKIP_REASONS, type PayoutSkipReason } from './payout.schema.ts';

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

/** The advisory-lock namespace and bucket count of ledger inserts (migration 2025-12-05, balance checkpoints). */
const INSERT_LOCK_NAMESPACE = 1279608903;
const INSERT_LOCK_BUCKETS = 64;

/**
 * The ledger's watermark: an entry id such that, when this returns, every entry with an id up to it
 * has committed or rolled back, so a snapshot taken afterwards sees all of them. A run's payouts
 * settle entries up to it and no further, and so never mark as settled an entry they did not see.
 *
 * Why it holds: every insert into ledger_entries takes a shared advisory lock on its (restaurant,
 * currency)'s bucket and only then draws its id (trigger ledger_entries_ordered_id). This reads the
 * sequence's last value, then takes and at once releases each bucket's exclusive lock, one at a
 * time: each wait ends when the inserts that hold the bucket, among them any that drew an id up to
 * the watermark, have ended. Never two locks held at once, so it cannot deadlock with an insert;
 * an insert waits at most for the inserts in flight on its bucket, and each wait here is bounded by
 * PAYOUT_WATERMARK_WAIT_MS (an insert transaction left open would otherwise stall its bucket behind
 * it). Session locks outlive an error, so on one they are all released before the connection goes
 * back to the pool.
 * @throws DatabaseError 55P03 when a bucket stays held past PAYOUT_WATERMARK_WAIT_MS
 * @throws Error when the id sequence caches values (a cached id could be drawn later below the watermark)
 */
export async function ledgerWatermark(db: LedgerDb): Promise<string> {
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ watermark: string; cache: string }>`
      SELECT COALESCE(pg_sequence_last_value('ledger_entries_id_seq'), 0)::text AS watermark, seqcache::text AS cache
      FROM pg_sequence WHERE seqrelid = 'ledger_entries_id_seq'::regclass`.execute(connection);
    try {
      await sql`
        DO $$
        BEGIN
          PERFORM set_config('lock_timeout', ${sql.lit(`${PAYOUT_WATERMARK_WAIT_MS}ms`)}, true);
          FOR bucket IN 0..${sql.lit(INSERT_LOCK_BUCKETS - 1)} LOOP
            PERFORM pg_advisory_lock(${sql.lit(INSERT_LOCK_NAMESPACE)}, bucket);
            PERFORM pg_advisory_unlock(${sql.lit(INSERT_LOCK_NAMESPACE)}, bucket);
          END LOOP;
        END
        $$`.execute(connection);
    } catch (error) {
      await sql`SELECT pg_advisory_unlock_all()`.execute(connection).catch(() => undefined);
      throw error;
    }
    const row = rows[0];
    if (row === undefined || row.cache !== '1') throw new Error(`ledger_entries_id_seq must not cache ids (CACHE ${row?.cache ?? 'unknown'})`);
    return row.watermark;
  });
}

/** What one chunk of a run works with: the run and its holder, its terms, its watermark and the time. */
export interface PayoutChunk {
  runId: string;
  owner: string;
  terms: PayoutTerms;
  watermark: string;
  now: Date;
  leaseMs: number;
  batchSize: number;
}

/** One restaurant of a chunk: the rule's decision and, when it was paid, the payout made. */
export interface ChunkDecision {
  restaurant_id: string;
  amount: string;
  skip_reason: PayoutSkipReason | null;
  payout_id: string | null;
  paid_amount: string | null;
}

export interface ChunkOutcome {
  /** False when `owner` no longer held the run: nothing was written. */
  lease_held: boolean;
  /** The run's cursor after the chunk; null when nothing was left to do (or the lease was lost). */
  cursor: string | null;
  payout_entries: number;
  decisions: ChunkDecision[];
}

/**
 * The next `batchSize` restaurants after the run's cursor (only its own restaurant for a scheduled
 * run) that have an entry in the currency. Reads the `run` CTE; the cursor is a scalar, so
 * restaurants are read in id order from it and the reading stops at the limit.
 */
const nextBatch = (chunk: PayoutChunk) => sql`
  SELECT r.id FROM restaurants r
  WHERE r.id > (SELECT COALESCE(cursor_restaurant_id, '') FROM run)
    AND ((SELECT restaurant_id FROM run) IS NULL OR r.id = (SELECT restaurant_id FROM run))
    AND EXISTS (SELECT 1 FROM ledger_entries le WHERE le.restaurant_id = r.id AND le.currency = ${chunk.terms.currency})
  ORDER BY r.id
  LIMIT ${chunk.batchSize}`;

/** The run's progress after the batch (cursor, counts) and its renewed lease, if `owner` still holds it. */
const recordProgress = (chunk: PayoutChunk) => {
  const counters = PAYOUT_SKIP_REASONS.map(
    (reason) => sql`${skipCounter(reason)} = ${skipCounter(reason)} + (SELECT count(*) FROM decisions WHERE skip_reason = ${reason})`,
  );
  return sql`
    UPDATE payout_runs SET
      cursor_restaurant_id = (SELECT MAX(id) FROM batch),
      lease_expires_at = ${chunk.now}::timestamptz + make_interval(secs => ${chunk.leaseMs / 1000}),
      created_count = created_count + (SELECT count(*) FROM created),
      ${sql.join(counters, sql`,
      `)}
    WHERE id = ${chunk.runId} AND lease_owner = ${chunk.owner} AND status = 'running' AND EXISTS (SELECT 1 FROM batch)
    RETURNING cursor_restaurant_id`;
};

/**
 * One chunk of a run in one statement: the next restaurants (nextBatch), the eligibility rule's
 * decision for each, a payout (recording its frontier and the one it follows) and its -amount
 * payout entry for each restaurant paid, and the run's progress (recordProgress), all from one
 * snapshot. Nothing is written unless `owner` holds the run. Returns what was decided and made, for
 * the caller to check before it commits.
 */
export async function payChunk(trx: LedgerTransaction, chunk: PayoutChunk): Promise<ChunkOutcome> {
  const { terms } = chunk;
  const { rows } = await sql<ChunkOutcome>`
    WITH run AS (
      SELECT cursor_restaurant_id, restaurant_id FROM payout_runs
      WHERE id = ${chunk.runId} AND lease_owner = ${chunk.owner} AND status = 'running'
    ),
    batch AS (${nextBatch(chunk)}),
    decisions AS MATERIALIZED (${payoutDecisions({ idsFrom: sql`SELECT id FROM batch` }, terms, sql`${chunk.watermark}`)}),
    created AS (
      INSERT INTO payouts (restaurant_id, currency, amount_minor, as_of, cutoff, run_id, created_at,
        prior_payout_id, prior_through_entry_id, prior_cutoff, settled_through_entry_id)
      SELECT restaurant_id, ${terms.currency}, amount, ${terms.as_of}::date, ${terms.cutoff}::timestamptz, ${chunk.runId}::bigint, ${chunk.now}::timestamptz,
        prior_payout_id, prior_through_entry_id, prior_cutoff, settled_through_entry_id
      FROM decisions WHERE skip_reason IS NULL
      ORDER BY restaurant_id
      RETURNING id, restaurant_id, amount_minor
    ),
    payout_entries AS (
      INSERT INTO ledger_entries (payout_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT id, restaurant_id, ${terms.currency}, 'payout', -amount_minor, ${chunk.now}::timestamptz, ${chunk.now}::timestamptz
      FROM created
      ORDER BY id
      RETURNING payout_id
    ),
    progress AS (${recordProgress(chunk)})
    SELECT
      EXISTS (SELECT 1 FROM run) AS lease_held,
      (SELECT cursor_restaurant_id FROM progress) AS cursor,
      (SELECT count(*) FROM payout_entries)::int AS payout_entries,
      COALESCE((
        SELECT json_agg(json_build_object('restaurant_id', d.restaurant_id, 'amount', d.amount::text, 'skip_reason', d.skip_reason,
          'payout_id', c.id::text, 'paid_amount', c.amount_minor::text) ORDER BY d.restaurant_id)
        FROM decisions d LEFT JOIN created c ON c.restaurant_id = d.restaurant_id), '[]') AS decisions`.execute(trx);
  const row = rows[0];
  if (row === undefined) throw new Error('the chunk statement returned no row');
  return row;
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
