import { type Kysely, sql } from 'kysely';

/**
 * Reconciliations of processor settlement reports (docs/reconciliation.md): one row per distinct
 * file, keyed by the SHA-256 of its bytes, so importing the same file again (or twice at once)
 * finds the one row instead of adding another. A reconciliation is what the ledger said about a
 * file when it was imported: never edited, never deleted.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE reconciliations (
      id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      file_sha256     TEXT NOT NULL CONSTRAINT reconciliations_file_once UNIQUE
                      CONSTRAINT reconciliations_file_sha256_format CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
      file_bytes      BIGINT NOT NULL CONSTRAINT reconciliations_file_bytes_positive CHECK (file_bytes > 0),
      row_count       INTEGER NOT NULL CONSTRAINT reconciliations_row_count_positive CHECK (row_count > 0),
      payout_count    INTEGER NOT NULL CONSTRAINT reconciliations_payout_count_positive CHECK (payout_count > 0),
      currencies      TEXT[] NOT NULL,
      paid_from       DATE NOT NULL,
      paid_to         DATE NOT NULL,
      matched_count   INTEGER NOT NULL CHECK (matched_count >= 0),
      amount_mismatch_count INTEGER NOT NULL CHECK (amount_mismatch_count >= 0),
      in_ledger_not_in_report_count INTEGER NOT NULL CHECK (in_ledger_not_in_report_count >= 0),
      in_report_not_in_ledger_count INTEGER NOT NULL CHECK (in_report_not_in_ledger_count >= 0),
      -- The four lists: {matched, amount_mismatch, in_ledger_not_in_report, in_report_not_in_ledger}.
      result          JSONB NOT NULL CONSTRAINT reconciliations_result_object CHECK (jsonb_typeof(result) = 'object'),
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT reconciliations_paid_range CHECK (paid_from <= paid_to)
    )`.execute(db);
  await sql`
    CREATE TRIGGER reconciliations_append_only BEFORE UPDATE OR DELETE ON reconciliations
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  await sql`
    CREATE TRIGGER reconciliations_no_truncate BEFORE TRUNCATE ON reconciliations
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  // The scope rule reads paid payouts by currency and paid day.
  await sql`CREATE INDEX payouts_paid_at_idx ON payouts (currency, paid_at) WHERE status = 'paid'`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX payouts_paid_at_idx`.execute(db);
  await sql`DROP TABLE reconciliations`.execute(db);
}
