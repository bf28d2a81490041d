import { type Kysely, sql } from 'kysely';

/**
 * Rate-limit counters shared by every server process (docs/adr/0005-cluster-and-shared-rate-limits.md):
 * one row per (scope, client key, fixed window), holding how many requests of that window's budget
 * the servers have claimed so far. UNLOGGED: counters are not money, so they skip the WAL (a claim
 * is one cheap in-memory row update) and a crash of PostgreSQL empties the table, which only resets
 * the windows in progress. Rows are updated in place many times a window: a low fillfactor keeps
 * those updates HOT (on the same page, no index change). Ended windows are deleted by the servers.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE UNLOGGED TABLE rate_limit_windows (
      scope        TEXT NOT NULL,
      client_key   TEXT NOT NULL CONSTRAINT rate_limit_windows_key_length CHECK (char_length(client_key) BETWEEN 1 AND 200),
      window_start TIMESTAMPTZ NOT NULL,
      window_end   TIMESTAMPTZ NOT NULL,
      claimed      BIGINT NOT NULL CONSTRAINT rate_limit_windows_claimed_positive CHECK (claimed >= 0),
      -- What the latest claim got: RETURNING shows it, as it cannot show the row's previous value.
      last_claim   BIGINT NOT NULL,
      PRIMARY KEY (scope, client_key, window_start)
    ) WITH (fillfactor = 50)`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE rate_limit_windows`.execute(db);
}
