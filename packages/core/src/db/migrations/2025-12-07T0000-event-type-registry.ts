import { type Kysely, sql } from 'kysely';

/**
 * The allowed event and entry types as data, so that a new type is one migration line
 * (docs/adr/0003-event-type-registry.md):
 *
 *   await sql`SELECT ledger_allow_event_type('dispute_opened')`.execute(db);
 *   await sql`SELECT ledger_allow_entry_type('dispute_hold', -1, 'event')`.execute(db);
 *
 * ledger_event_types and ledger_entry_types list them (seeded with today's, which the existing
 * CHECK constraints already allow, so nothing is rebuilt here and no row is touched). Each
 * ledger_allow_* function adds a row and rebuilds, from those tables, the same-named CHECK
 * constraints: processor_events_event_type_known; ledger_entries_entry_type_known,
 * ledger_entries_sign_by_type and ledger_entries_source. They stay plain CHECKs of literal lists, so
 * an insert costs what it did (no lookup, no lock on a type row) and a dump restores in any order.
 * A rebuilt constraint is added NOT VALID and then validated: a wider set cannot refuse an existing
 * row, and VALIDATE takes a lock that lets writes through.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE ledger_event_types (event_type TEXT PRIMARY KEY)`.execute(db);
  await sql`
    INSERT INTO ledger_event_types (event_type)
    VALUES ('charge_succeeded'), ('refund_succeeded'), ('payout_paid'), ('payout_failed')`.execute(db);
  await sql`
    CREATE TABLE ledger_entry_types (
      entry_type TEXT PRIMARY KEY,
      sign       SMALLINT NOT NULL CONSTRAINT ledger_entry_types_sign CHECK (sign IN (-1, 1)),
      source     TEXT NOT NULL CONSTRAINT ledger_entry_types_source CHECK (source IN ('event', 'payout', 'event_and_payout'))
    )`.execute(db);
  await sql`
    INSERT INTO ledger_entry_types (entry_type, sign, source)
    VALUES ('sale', 1, 'event'), ('fee', -1, 'event'), ('refund', -1, 'event'),
           ('payout', -1, 'payout'), ('payout_reversal', 1, 'event_and_payout')`.execute(db);
  await sql`
    CREATE FUNCTION ledger_allow_event_type(name TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
    DECLARE allowed TEXT;
    BEGIN
      INSERT INTO ledger_event_types (event_type) VALUES (name) ON CONFLICT DO NOTHING;
      SELECT quote_literal(array_agg(event_type ORDER BY event_type)::text) INTO allowed FROM ledger_event_types;
      ALTER TABLE processor_events DROP CONSTRAINT processor_events_event_type_known;
      EXECUTE format('ALTER TABLE processor_events ADD CONSTRAINT processor_events_event_type_known
                        CHECK (event_type = ANY (%s::text[])) NOT VALID', allowed);
      ALTER TABLE processor_events VALIDATE CONSTRAINT processor_events_event_type_known;
    END
    $$`.execute(db);
  await sql`
    CREATE FUNCTION ledger_allow_entry_type(name TEXT, entry_sign INT, entry_source TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
    DECLARE
      constraints CONSTANT TEXT[] := ARRAY['ledger_entries_entry_type_known', 'ledger_entries_sign_by_type', 'ledger_entries_source'];
      checks TEXT[];
      c INT;
    BEGIN
      INSERT INTO ledger_entry_types (entry_type, sign, source) VALUES (name, entry_sign, entry_source);
      checks := ARRAY[
        format('entry_type = ANY (%s::text[])', ledger_entry_types_where('true')),
        format('(entry_type = ANY (%s::text[]) AND amount_minor > 0) OR (entry_type = ANY (%s::text[]) AND amount_minor < 0)',
               ledger_entry_types_where('sign = 1'), ledger_entry_types_where('sign = -1')),
        format('(entry_type = ANY (%s::text[]) AND processor_event_id IS NULL AND payout_id IS NOT NULL)
                OR (entry_type = ANY (%s::text[]) AND processor_event_id IS NOT NULL AND payout_id IS NOT NULL)
                OR (entry_type = ANY (%s::text[]) AND processor_event_id IS NOT NULL AND payout_id IS NULL)',
               ledger_entry_types_where($q$source = 'payout'$q$), ledger_entry_types_where($q$source = 'event_and_payout'$q$),
               ledger_entry_types_where($q$source = 'event'$q$))];
      FOR c IN 1 .. 3 LOOP
        EXECUTE format('ALTER TABLE ledger_entries DROP CONSTRAINT %I', constraints[c]);
        EXECUTE format('ALTER TABLE ledger_entries ADD CONSTRAINT %I CHECK (%s) NOT VALID', constraints[c], checks[c]);
        EXECUTE format('ALTER TABLE ledger_entries VALIDATE CONSTRAINT %I', constraints[c]);
      END LOOP;
    END
    $$`.execute(db);
  // The entry types meeting a condition, as a quoted array literal ('{}' when none).
  await sql`
    CREATE FUNCTION ledger_entry_types_where(condition TEXT) RETURNS TEXT LANGUAGE plpgsql STABLE AS $$
    DECLARE found TEXT[];
    BEGIN
      EXECUTE format('SELECT array_agg(entry_type ORDER BY entry_type) FROM ledger_entry_types WHERE %s', condition) INTO found;
      RETURN quote_literal(COALESCE(found, '{}')::text);
    END
    $$`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION ledger_allow_entry_type(TEXT, INT, TEXT)`.execute(db);
  await sql`DROP FUNCTION ledger_entry_types_where(TEXT)`.execute(db);
  await sql`DROP FUNCTION ledger_allow_event_type(TEXT)`.execute(db);
  await sql`DROP TABLE ledger_entry_types`.execute(db);
  await sql`DROP TABLE ledger_event_types`.execute(db);
}
