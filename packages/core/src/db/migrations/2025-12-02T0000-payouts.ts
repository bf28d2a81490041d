import { type Kysely, sql } from 'kysely';

/**
 * Payouts, the entries each one settles, and durable payout runs. Frozen in time: this file never
 * imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE payout_runs (
      id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      currency        TEXT NOT NULL CONSTRAINT payout_runs_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
      as_of           DATE NOT NULL,
      min_amount      BIGINT NOT NULL CONSTRAINT payout_runs_min_amount_range CHECK (min_amount BETWEEN 0 AND 9007199254740991),
      status          TEXT NOT NULL DEFAULT 'queued'
                      CONSTRAINT payout_runs_status_known CHECK (status IN ('queued', 'running', 'completed', 'failed')),
      -- Fixed when the run first starts, so a run resumed after a crash uses the same cutoff.
      cutoff          TIMESTAMPTZ NULL,
      -- Progress: restaurants are visited in id order; everything up to here is done.
      cursor_restaurant_id TEXT NULL,
      created_count   INTEGER NOT NULL DEFAULT 0,
      skipped_below_min_amount INTEGER NOT NULL DEFAULT 0,
      skipped_not_positive     INTEGER NOT NULL DEFAULT 0,
      skipped_open_payout      INTEGER NOT NULL DEFAULT 0,
      skipped_already_paid_for_as_of INTEGER NOT NULL DEFAULT 0,
      skipped_later_payout_exists    INTEGER NOT NULL DEFAULT 0,
      lease_owner     TEXT NULL,
      lease_expires_at TIMESTAMPTZ NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      last_error      TEXT NULL,
      requested_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
      started_at      TIMESTAMPTZ NULL,
      finished_at     TIMESTAMPTZ NULL,
      CONSTRAINT payout_runs_running_has_lease CHECK (status <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX payout_runs_claimable_idx ON payout_runs (id) WHERE status IN ('queued', 'running')`.execute(db);

  await sql`
    CREATE TABLE payouts (
      id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      restaurant_id TEXT NOT NULL REFERENCES restaurants (id) ON DELETE RESTRICT,
      currency      TEXT NOT NULL CONSTRAINT payouts_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
      amount_minor  BIGINT NOT NULL CONSTRAINT payouts_amount_positive CHECK (amount_minor > 0),
      as_of         DATE NOT NULL,
      cutoff        TIMESTAMPTZ NOT NULL,
      run_id        BIGINT NOT NULL REFERENCES payout_runs (id) ON DELETE RESTRICT,
      status        TEXT NOT NULL DEFAULT 'created'
                    CONSTRAINT payouts_status_known CHECK (status IN ('created', 'processing', 'paid', 'failed')),
      created_at    TIMESTAMPTZ NOT NULL,
      paid_at       TIMESTAMPTZ NULL,
      updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT payouts_one_per_as_of UNIQUE (restaurant_id, currency, as_of),
      CONSTRAINT payouts_paid_at_only_when_paid CHECK ((status = 'paid') = (paid_at IS NOT NULL))
    )`.execute(db);
  // At most one open payout per restaurant and currency, enforced by the database.
  await sql`
    CREATE UNIQUE INDEX payouts_one_open_idx ON payouts (restaurant_id, currency)
      WHERE status IN ('created', 'processing')`.execute(db);
  await sql`CREATE INDEX payouts_status_idx ON payouts (status, id)`.execute(db);

  // Amounts, currency, restaurant, as_of and cutoff never change; status only moves forward.
  await sql`
    CREATE FUNCTION payouts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payouts are never deleted' USING ERRCODE = 'restrict_violation';
      END IF;
      IF (NEW.restaurant_id, NEW.currency, NEW.amount_minor, NEW.as_of, NEW.cutoff, NEW.run_id, NEW.created_at)
         IS DISTINCT FROM
         (OLD.restaurant_id, OLD.currency, OLD.amount_minor, OLD.as_of, OLD.cutoff, OLD.run_id, OLD.created_at) THEN
        RAISE EXCEPTION 'payout % is immutable except for its status', OLD.id USING ERRCODE = 'restrict_violation';
      END IF;
      IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'created' AND NEW.status IN ('processing', 'paid', 'failed'))
        OR (OLD.status = 'processing' AND NEW.status IN ('paid', 'failed'))) THEN
        RAISE EXCEPTION 'payout % cannot move from % to %', OLD.id, OLD.status, NEW.status
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER payouts_guard BEFORE UPDATE OR DELETE ON payouts
      FOR EACH ROW EXECUTE FUNCTION payouts_guard()`.execute(db);

  // Payout entries belong to a payout, not to a processor event; reversals belong to both.
  await sql`ALTER TABLE ledger_entries ALTER COLUMN processor_event_id DROP NOT NULL`.execute(db);
  await sql`ALTER TABLE ledger_entries ADD COLUMN payout_id BIGINT NULL REFERENCES payouts (id) ON DELETE RESTRICT`.execute(db);
  await sql`
    ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_source CHECK (
      (entry_type = 'payout' AND processor_event_id IS NULL AND payout_id IS NOT NULL)
      OR (entry_type = 'payout_reversal' AND processor_event_id IS NOT NULL AND payout_id IS NOT NULL)
      OR (entry_type IN ('sale', 'fee', 'refund') AND processor_event_id IS NOT NULL AND payout_id IS NULL))`.execute(db);
  await sql`CREATE INDEX ledger_entries_payout_idx ON ledger_entries (payout_id) WHERE payout_id IS NOT NULL`.execute(db);

  // Which entries each payout settles (its own payout entry included). An entry is settled once.
  await sql`
    CREATE TABLE payout_settlements (
      payout_id       BIGINT NOT NULL REFERENCES payouts (id) ON DELETE RESTRICT,
      ledger_entry_id BIGINT NOT NULL REFERENCES ledger_entries (id) ON DELETE RESTRICT
                      CONSTRAINT payout_settlements_entry_once UNIQUE,
      PRIMARY KEY (payout_id, ledger_entry_id)
    )`.execute(db);
  await sql`
    CREATE TRIGGER payout_settlements_append_only BEFORE UPDATE OR DELETE ON payout_settlements
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  await sql`
    CREATE TRIGGER payout_settlements_no_truncate BEFORE TRUNCATE ON payout_settlements
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE payout_settlements`.execute(db);
  await sql`ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_source`.execute(db);
  await sql`ALTER TABLE ledger_entries DROP COLUMN payout_id`.execute(db);
  await sql`ALTER TABLE ledger_entries ALTER COLUMN processor_event_id SET NOT NULL`.execute(db);
  await sql`DROP TABLE payouts`.execute(db);
  await sql`DROP FUNCTION payouts_guard()`.execute(db);
  await sql`DROP TABLE payout_runs`.execute(db);
}
