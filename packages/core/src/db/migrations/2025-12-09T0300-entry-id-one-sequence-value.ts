import { type Kysely, sql } from 'kysely';

/**
 * One sequence value per ledger entry (issue 14). Until now ledger_entries.id was an identity
 * column: its default drew a value before any trigger ran, and the ordering trigger
 * (2025-12-05T0000-balance-checkpoints) threw it away and drew a second one after the shared
 * advisory lock, because balance checkpoints are exact only if ids are drawn after that lock. So
 * every entry cost two values of the sequence.
 *
 * Now the column has no default at all: the identity is dropped, a plain sequence of the same name
 * continues where the identity's stopped (same last value, no gap, no reuse), and the trigger is the
 * only thing that draws, once, after the lock. The identity's other promise, GENERATED ALWAYS (no
 * one writes an id of their choosing), moves into the trigger: an insert that names an id is
 * refused with the same SQLSTATE (428C9 generated_always), since an id chosen by a writer could sit
 * below a checkpoint that already counted past it. Dropping an identity rewrites no rows: this is a
 * catalog change, instant on a ledger of any size.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DO $$
    DECLARE
      last_drawn bigint;
      drawn boolean;
    BEGIN
      SELECT last_value, is_called INTO last_drawn, drawn FROM ledger_entries_id_seq;
      ALTER TABLE ledger_entries ALTER COLUMN id DROP IDENTITY;
      CREATE SEQUENCE ledger_entries_id_seq AS bigint OWNED BY ledger_entries.id;
      PERFORM setval('ledger_entries_id_seq', last_drawn, drawn);
    END
    $$`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION ledger_entries_ordered_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.id IS NOT NULL THEN
        RAISE EXCEPTION 'ledger_entries.id is drawn by the ledger: an insert may not give one'
          USING ERRCODE = 'generated_always', HINT = 'leave id out of the insert';
      END IF;
      PERFORM pg_advisory_xact_lock_shared(1279608903, ledger_balance_lock_bucket(NEW.restaurant_id, NEW.currency));
      NEW.id := nextval('ledger_entries_id_seq');
      RETURN NEW;
    END
    $$`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  // The 2025-12-05 trigger body again, written out: a migration never imports another's code.
  await sql`
    CREATE OR REPLACE FUNCTION ledger_entries_ordered_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_xact_lock_shared(1279608903, ledger_balance_lock_bucket(NEW.restaurant_id, NEW.currency));
      NEW.id := nextval('ledger_entries_id_seq');
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`
    DO $$
    DECLARE
      next_id bigint;
    BEGIN
      SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END INTO next_id FROM ledger_entries_id_seq;
      DROP SEQUENCE ledger_entries_id_seq;
      EXECUTE format('ALTER TABLE ledger_entries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH %s)', next_id);
    END
    $$`.execute(db);
}
