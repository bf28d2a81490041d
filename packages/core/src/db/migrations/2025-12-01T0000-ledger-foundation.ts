import { type Kysely, sql } from 'kysely';

/**
 * Restaurants, processor events and ledger entries. Frozen in time: this file never imports
 * application code, so later changes to the code cannot change what it did.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE restaurants (
      id            TEXT PRIMARY KEY CONSTRAINT restaurants_id_format CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
      name          TEXT NULL CONSTRAINT restaurants_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
      maturity_days INTEGER NOT NULL CONSTRAINT restaurants_maturity_days_range CHECK (maturity_days BETWEEN 0 AND 365),
      created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE processor_events (
      id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id      TEXT NOT NULL CONSTRAINT processor_events_event_id_key UNIQUE
                    CONSTRAINT processor_events_event_id_length CHECK (char_length(event_id) BETWEEN 1 AND 255),
      event_type    TEXT NOT NULL CONSTRAINT processor_events_event_type_known CHECK (
                      event_type IN ('charge_succeeded', 'refund_succeeded', 'payout_paid', 'payout_failed')),
      restaurant_id TEXT NOT NULL REFERENCES restaurants (id) ON DELETE RESTRICT,
      currency      TEXT NOT NULL CONSTRAINT processor_events_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
      amount_minor  BIGINT NOT NULL CONSTRAINT processor_events_amount_range CHECK (amount_minor BETWEEN 0 AND 9007199254740991),
      fee_minor     BIGINT NOT NULL CONSTRAINT processor_events_fee_range CHECK (fee_minor BETWEEN 0 AND 9007199254740991),
      occurred_at   TIMESTAMPTZ NOT NULL,
      metadata      JSONB NOT NULL DEFAULT '{}' CONSTRAINT processor_events_metadata_object CHECK (jsonb_typeof(metadata) = 'object'),
      raw_payload   JSONB NOT NULL,
      received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT processor_events_charge_fee_within_amount CHECK (
        event_type <> 'charge_succeeded' OR fee_minor <= amount_minor)
    )`.execute(db);
  await sql`CREATE INDEX processor_events_restaurant_idx ON processor_events (restaurant_id, occurred_at)`.execute(db);

  await sql`
    CREATE TABLE ledger_entries (
      id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      processor_event_id BIGINT NOT NULL REFERENCES processor_events (id) ON DELETE RESTRICT,
      restaurant_id      TEXT NOT NULL REFERENCES restaurants (id) ON DELETE RESTRICT,
      currency           TEXT NOT NULL CONSTRAINT ledger_entries_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
      entry_type         TEXT NOT NULL CONSTRAINT ledger_entries_entry_type_known CHECK (
                           entry_type IN ('sale', 'fee', 'refund', 'payout', 'payout_reversal')),
      amount_minor       BIGINT NOT NULL,
      occurred_at        TIMESTAMPTZ NOT NULL,
      available_at       TIMESTAMPTZ NOT NULL,
      created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT ledger_entries_sign_by_type CHECK (
        (entry_type IN ('sale', 'payout_reversal') AND amount_minor > 0)
        OR (entry_type IN ('fee', 'refund', 'payout') AND amount_minor < 0)),
      CONSTRAINT ledger_entries_available_after_occurred CHECK (available_at >= occurred_at)
    )`.execute(db);
  // The balance query filters on (restaurant_id, currency, occurred_at <= as_of) and sums
  // amount_minor split by available_at: with both INCLUDEd it is answered by an index-only scan.
  await sql`
    CREATE INDEX ledger_entries_balance_idx ON ledger_entries (restaurant_id, currency, occurred_at)
      INCLUDE (available_at, amount_minor)`.execute(db);
  await sql`CREATE INDEX ledger_entries_processor_event_idx ON ledger_entries (processor_event_id)`.execute(db);

  // The ledger is append-only: corrections are new entries, never edits. The database itself
  // refuses UPDATE, DELETE and TRUNCATE, whoever asks.
  await sql`
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation', HINT = 'write a new, reversing record instead';
    END
    $$`.execute(db);
  for (const table of ['processor_events', 'ledger_entries']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_append_only`)} BEFORE UPDATE OR DELETE ON ${sql.table(table)}
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.table(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  }
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE ledger_entries`.execute(db);
  await sql`DROP TABLE processor_events`.execute(db);
  await sql`DROP TABLE restaurants`.execute(db);
  await sql`DROP FUNCTION ledger_refuse_change()`.execute(db);
}
