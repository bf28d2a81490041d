import { type Kysely, sql } from 'kysely';

/**
 * `ledger_fail_for_retry(reason)`: raises serialization_failure (SQLSTATE 40001), which rolls back
 * the statement that called it, whole. Single-event ingestion is one statement of data-modifying
 * CTEs; when it finds, at its very end, that it lost a rare race it cannot settle itself (it
 * registered a restaurant for an event a concurrent delivery recorded with other content), it calls
 * this so that nothing it wrote survives, and the caller takes the transactional path instead.
 * A plain SQL expression cannot do this: PostgreSQL folds a constant that fails (a bad cast, 1/0)
 * when it plans the statement, not when the condition is met.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION ledger_fail_for_retry(reason TEXT) RETURNS BOOLEAN LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      RAISE EXCEPTION '%', reason
        USING ERRCODE = 'serialization_failure', HINT = 'nothing was written; run it again in a transaction';
    END
    $$`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION ledger_fail_for_retry(TEXT)`.execute(db);
}
