import { type Kysely, sql } from 'kysely';

/**
 * Vacuums the insert-only tables after every 10,000 new rows, whatever their size, instead of after
 * 20% growth (PostgreSQL's default insert threshold, `1000 + 0.2 * rows`).
 *
 * Why: a balance and a statement page are index-only scans of ledger_entries_balance_idx, and an
 * index-only scan skips the heap only on pages the visibility map marks all-visible. Only VACUUM
 * sets those bits. Rows are never updated or deleted here, so without insert-triggered vacuums a
 * 10M-entry ledger would take 2M more entries before the next one, and every balance of a busy
 * restaurant would visit the heap for each of its recent entries ("Heap Fetches" in EXPLAIN). Such a
 * vacuum reads only the pages not yet all-visible and (no dead rows) skips the index passes, so it
 * is cheap; autovacuum still runs it at most once per autovacuum_naptime per table. It also freezes
 * the rows early, which spares a large anti-wraparound vacuum later.
 *
 * PostgreSQL 13+. The embedded database (PGlite) stores the settings and, having no autovacuum
 * worker, ignores them. Frozen in time: this file never imports application code.
 */
const INSERT_ONLY_TABLES = ['processor_events', 'ledger_entries', 'payout_settlements'] as const;

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of INSERT_ONLY_TABLES) {
    await sql`
      ALTER TABLE ${sql.table(table)} SET (
        autovacuum_vacuum_insert_scale_factor = 0,
        autovacuum_vacuum_insert_threshold = 10000)`.execute(db);
  }
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of INSERT_ONLY_TABLES) {
    await sql`ALTER TABLE ${sql.table(table)} RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold)`.execute(db);
  }
}
