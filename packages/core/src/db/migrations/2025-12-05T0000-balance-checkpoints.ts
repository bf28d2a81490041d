import { type Kysely, sql } from 'kysely';

/**
 * Insert-only balance checkpoints, so a balance costs what happened since the last checkpoint, not
 * the whole history (docs/adr/0001-balance-checkpoints.md).
 *
 * A checkpoint of (restaurant, currency) counts every entry with id <= through_entry_id: their sum
 * by occurred_at <= cut_at (total) and by available_at <= cut_at (available). For that to be exact,
 * no entry may commit with an id at or below a checkpoint's through_entry_id after the checkpoint
 * was taken. The ledger guarantees it here, in the database, whatever path inserts:
 * - every insert takes a SHARED transaction-level advisory lock on its (restaurant, currency)'s
 *   lock bucket, and only then draws its id (the trigger replaces the id the column default drew
 *   before the lock);
 * - the checkpoint writer takes the EXCLUSIVE lock on that bucket, so it starts after every insert
 *   in flight on it has committed or rolled back, and every later insert draws a larger id.
 * Inserts never conflict with each other on the shared lock. Keys hash into 64 buckets so that a
 * transaction touching thousands of restaurants (a batch, a payout run, a bulk load) holds at most
 * 64 advisory locks: PostgreSQL's lock table is shared and finite (max_locks_per_transaction).
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE balance_checkpoints (
      id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      restaurant_id    TEXT NOT NULL REFERENCES restaurants (id) ON DELETE RESTRICT,
      currency         TEXT NOT NULL CONSTRAINT balance_checkpoints_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
      through_entry_id BIGINT NOT NULL CONSTRAINT balance_checkpoints_through_positive CHECK (through_entry_id > 0),
      cut_at           TIMESTAMPTZ NOT NULL,
      -- Sums of bigint amounts can pass the bigint range; numeric holds them exactly.
      total_minor      NUMERIC NOT NULL,
      available_minor  NUMERIC NOT NULL,
      entries_read     BIGINT NOT NULL,  -- what writing it cost: entries read beyond the previous checkpoint
      created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT balance_checkpoints_once UNIQUE (restaurant_id, currency, through_entry_id)
    )`.execute(db);
  // The latest checkpoint at or before an as_of, in one index probe.
  await sql`
    CREATE INDEX balance_checkpoints_lookup_idx ON balance_checkpoints (restaurant_id, currency, cut_at DESC, through_entry_id DESC)
      INCLUDE (total_minor, available_minor)`.execute(db);
  // Entries after a checkpoint (late ones included) by id, and entries maturing after its cut, by
  // available_at: both index-only, both as small as the activity since the checkpoint.
  await sql`
    CREATE INDEX ledger_entries_since_idx ON ledger_entries (restaurant_id, currency, id)
      INCLUDE (occurred_at, available_at, amount_minor)`.execute(db);
  await sql`
    CREATE INDEX ledger_entries_maturity_idx ON ledger_entries (restaurant_id, currency, available_at)
      INCLUDE (id, amount_minor)`.execute(db);

  // 1279608903 is 'LEDG': the advisory-lock namespace of balance checkpoints.
  await sql`
    CREATE FUNCTION ledger_balance_lock_bucket(restaurant_id TEXT, currency TEXT) RETURNS INTEGER
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      RETURN (hashtextextended(restaurant_id || ':' || currency, 0) & 63)::integer`.execute(db);
  await sql`
    CREATE FUNCTION ledger_entries_ordered_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock_shared(1279608903, ledger_balance_lock_bucket(NEW.restaurant_id, NEW.currency));
      NEW.id := nextval('ledger_entries_id_seq');
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER ledger_entries_ordered_id BEFORE INSERT ON ledger_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_entries_ordered_id()`.execute(db);

  // Checkpoints are facts about the ledger at a point: never edited. (Deleting one is allowed: a
  // balance without it is the same number, computed from further back.)
  await sql`
    CREATE TRIGGER balance_checkpoints_no_update BEFORE UPDATE ON balance_checkpoints
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER ledger_entries_ordered_id ON ledger_entries`.execute(db);
  await sql`DROP FUNCTION ledger_entries_ordered_id()`.execute(db);
  await sql`DROP FUNCTION ledger_balance_lock_bucket(TEXT, TEXT)`.execute(db);
  await sql`DROP INDEX ledger_entries_maturity_idx`.execute(db);
  await sql`DROP INDEX ledger_entries_since_idx`.execute(db);
  await sql`DROP TABLE balance_checkpoints`.execute(db);
}
