import { sql } from 'kysely';
import type { LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';

/** The scheduler's advisory lock key ("payout scheduler"): one server at a time creates the due runs. */
const SCHEDULER_LOCK_KEY = 7_061_792_853;

/** A calendar day as the scheduler matches schedules against it. */
export interface ScheduleDay {
  /** YYYY-MM-DD (UTC). */
  date: string;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  isoWeekday: number;
  dayOfMonth: number;
}

/**
 * Takes the scheduler's transaction-level advisory lock if no other session holds it: true when
 * this transaction may create the due runs. Released at commit or rollback, so a server that dies
 * mid-tick frees it at once. (On the embedded database there is one session: always true.)
 */
export async function tryLockScheduler(trx: LedgerTransaction): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${SCHEDULER_LOCK_KEY}::bigint) AS locked`.execute(trx);
  return rows[0]?.locked === true;
}

/**
 * Creates the scheduled runs due on `day`: one per restaurant whose schedule falls on it (daily;
 * weekly on its ISO weekday; monthly on its day of month) and currency it has entries in, with
 * as_of = scheduled_date = the day and min_amount 0 (the restaurant's payout_minimum applies through
 * the eligibility rule). The partial UNIQUE index on (restaurant_id, currency, scheduled_date) makes
 * a second creation a no-op, whoever tries it. Returns the runs this call created.
 * The currencies come from a skip scan of ledger_entries_balance_idx: one probe per currency.
 */
export async function createDueScheduledRuns(
  trx: LedgerTransaction,
  day: ScheduleDay,
): Promise<Array<{ id: Int8Value; restaurant_id: string; currency: string }>> {
  const { rows } = await sql<{ id: Int8Value; restaurant_id: string; currency: string }>`
    WITH due AS (
      SELECT r.id FROM restaurants r
      WHERE r.payout_schedule_kind <> 'manual'
        AND (r.payout_schedule_kind = 'daily'
             OR (r.payout_schedule_kind = 'weekly' AND r.payout_schedule_weekday = ${day.isoWeekday}::int)
             OR (r.payout_schedule_kind = 'monthly' AND r.payout_schedule_day = ${day.dayOfMonth}::int))
    )
    INSERT INTO payout_runs (currency, as_of, min_amount, trigger, restaurant_id, scheduled_date)
    SELECT c.currency, ${day.date}::date, 0, 'schedule', due.id, ${day.date}::date
    FROM due
    CROSS JOIN LATERAL (
      WITH RECURSIVE currencies (currency) AS (
        (SELECT le.currency FROM ledger_entries le WHERE le.restaurant_id = due.id ORDER BY le.currency LIMIT 1)
        UNION ALL
        SELECT (SELECT le.currency FROM ledger_entries le
                WHERE le.restaurant_id = due.id AND le.currency > currencies.currency ORDER BY le.currency LIMIT 1)
        FROM currencies WHERE currencies.currency IS NOT NULL
      )
      SELECT currency FROM currencies WHERE currency IS NOT NULL
    ) c
    -- Runs already created are skipped here, so a look that finds nothing new takes no sequence
    -- value; the unique index still decides between two servers racing.
    WHERE NOT EXISTS (
      SELECT FROM payout_runs pr
      WHERE pr.trigger = 'schedule' AND pr.restaurant_id = due.id AND pr.currency = c.currency AND pr.scheduled_date = ${day.date}::date
    )
    ORDER BY due.id, c.currency
    ON CONFLICT (restaurant_id, currency, scheduled_date) WHERE trigger = 'schedule' DO NOTHING
    RETURNING id, restaurant_id, currency`.execute(trx);
  return rows;
}
