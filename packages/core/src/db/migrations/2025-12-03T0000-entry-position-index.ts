import { type Kysely, sql } from 'kysely';

/**
 * Puts the entry id into the key of the balance index, so one index serves the balance, the
 * statement's stable (occurred_at, id) order and its keyset cursor, and the statement's opening
 * balance (a row comparison on (occurred_at, id)) as index-only scans. Drops two indexes that no
 * query reads: processor_events (restaurant_id, occurred_at) and ledger_entries (payout_id); they
 * only cost every insert. (Their foreign keys point at rows that are never deleted.)
 *
 * On a large live table, build the new index first with CREATE INDEX CONCURRENTLY under the same
 * name; this migration then finds it (IF NOT EXISTS) and only swaps names.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX IF NOT EXISTS ledger_entries_position_idx ON ledger_entries (restaurant_id, currency, occurred_at, id)
      INCLUDE (available_at, amount_minor)`.execute(db);
  await sql`DROP INDEX ledger_entries_balance_idx`.execute(db);
  await sql`ALTER INDEX ledger_entries_position_idx RENAME TO ledger_entries_balance_idx`.execute(db);
  await sql`DROP INDEX processor_events_restaurant_idx`.execute(db);
  await sql`DROP INDEX ledger_entries_payout_idx`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX ledger_entries_payout_idx ON ledger_entries (payout_id) WHERE payout_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX processor_events_restaurant_idx ON processor_events (restaurant_id, occurred_at)`.execute(db);
  await sql`ALTER INDEX ledger_entries_balance_idx RENAME TO ledger_entries_position_idx`.execute(db);
  await sql`
    CREATE INDEX ledger_entries_balance_idx ON ledger_entries (restaurant_id, currency, occurred_at)
      INCLUDE (available_at, amount_minor)`.execute(db);
  await sql`DROP INDEX ledger_entries_position_idx`.execute(db);
}
