import { type Kysely, sql } from 'kysely';

/**
 * Settlement settings per restaurant (docs/settlement-settings.md): a rolling reserve, a payout
 * schedule and payout minimums; the reserve's two entry types; scheduled payout runs.
 *
 * - restaurants: reserve_percent (basis points) and reserve_days, default 0 (no reserve); the
 *   schedule as columns (kind, and the weekday or day of month its kind needs), default manual;
 *   payout_minimum, a JSON object currency -> minor units (a missing currency is 0).
 * - reserve_hold (-, an event's) and reserve_release (+, an event's), through the registry's SQL
 *   functions (2025-12-07T0000-event-type-registry); a partial index sums the releases not yet
 *   available (the balance's `reserved`) without reading anything else.
 * - payout_runs: how a run was created (`trigger`), and for a scheduled run its restaurant and
 *   scheduled date; one scheduled run per (restaurant, currency, scheduled date), enforced here.
 *   A counter for the new skip reason below_payout_minimum.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE restaurants
      ADD COLUMN reserve_percent INTEGER NOT NULL DEFAULT 0
        CONSTRAINT restaurants_reserve_percent_range CHECK (reserve_percent BETWEEN 0 AND 10000),
      ADD COLUMN reserve_days INTEGER NOT NULL DEFAULT 0
        CONSTRAINT restaurants_reserve_days_range CHECK (reserve_days BETWEEN 0 AND 365),
      ADD COLUMN payout_schedule_kind TEXT NOT NULL DEFAULT 'manual'
        CONSTRAINT restaurants_payout_schedule_kind_known CHECK (payout_schedule_kind IN ('manual', 'daily', 'weekly', 'monthly')),
      ADD COLUMN payout_schedule_weekday SMALLINT NULL
        CONSTRAINT restaurants_payout_schedule_weekday_range CHECK (payout_schedule_weekday BETWEEN 1 AND 7),
      ADD COLUMN payout_schedule_day SMALLINT NULL
        CONSTRAINT restaurants_payout_schedule_day_range CHECK (payout_schedule_day BETWEEN 1 AND 28),
      ADD COLUMN payout_minimum JSONB NOT NULL DEFAULT '{}'
        CONSTRAINT restaurants_payout_minimum_shape CHECK (
          jsonb_typeof(payout_minimum) = 'object'
          AND NOT jsonb_path_exists(payout_minimum, '$.keyvalue() ? (!(@.key like_regex "^[A-Z]{3}$"))')
          AND NOT jsonb_path_exists(payout_minimum,
            '$.* ? (@.type() != "number" || @ < 0 || @ > 9007199254740991 || @.floor() != @)')),
      ADD CONSTRAINT restaurants_payout_schedule_shape CHECK (
        (payout_schedule_kind = 'weekly') = (payout_schedule_weekday IS NOT NULL)
        AND (payout_schedule_kind = 'monthly') = (payout_schedule_day IS NOT NULL))`.execute(db);

  await sql`SELECT ledger_allow_entry_type('reserve_hold', -1, 'event')`.execute(db);
  await sql`SELECT ledger_allow_entry_type('reserve_release', 1, 'event')`.execute(db);
  await sql`
    CREATE INDEX ledger_entries_reserve_release_idx ON ledger_entries (restaurant_id, currency, available_at)
      INCLUDE (occurred_at, amount_minor) WHERE entry_type = 'reserve_release'`.execute(db);

  await sql`
    ALTER TABLE payout_runs
      ADD COLUMN skipped_below_payout_minimum INTEGER NOT NULL DEFAULT 0,
      ADD COLUMN trigger TEXT NOT NULL DEFAULT 'manual'
        CONSTRAINT payout_runs_trigger_known CHECK (trigger IN ('manual', 'schedule')),
      ADD COLUMN restaurant_id TEXT NULL REFERENCES restaurants (id) ON DELETE RESTRICT,
      ADD COLUMN scheduled_date DATE NULL,
      ADD CONSTRAINT payout_runs_schedule_shape CHECK (
        (trigger = 'manual' AND restaurant_id IS NULL AND scheduled_date IS NULL)
        OR (trigger = 'schedule' AND restaurant_id IS NOT NULL AND scheduled_date = as_of))`.execute(db);
  // The scheduler's idempotency: however many servers tick, one run per (restaurant, currency, date).
  await sql`
    CREATE UNIQUE INDEX payout_runs_one_per_scheduled_date ON payout_runs (restaurant_id, currency, scheduled_date)
      WHERE trigger = 'schedule'`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX payout_runs_one_per_scheduled_date`.execute(db);
  await sql`
    ALTER TABLE payout_runs DROP CONSTRAINT payout_runs_schedule_shape, DROP COLUMN scheduled_date,
      DROP COLUMN restaurant_id, DROP COLUMN trigger, DROP COLUMN skipped_below_payout_minimum`.execute(db);
  await sql`DROP INDEX ledger_entries_reserve_release_idx`.execute(db);
  await sql`
    ALTER TABLE restaurants DROP CONSTRAINT restaurants_payout_schedule_shape, DROP COLUMN payout_minimum,
      DROP COLUMN payout_schedule_day, DROP COLUMN payout_schedule_weekday, DROP COLUMN payout_schedule_kind,
      DROP COLUMN reserve_days, DROP COLUMN reserve_percent`.execute(db);
}
