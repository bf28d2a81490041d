import type { LedgerDb, LedgerTransaction } from './database.ts';

/**
 * The one place a command's transaction is opened. Everything `work` writes commits together, or,
 * when it throws (a LedgerError included), nothing does.
 *
 * A command that is a single SQL statement needs none: PostgreSQL runs one statement atomically,
 * its data-modifying CTEs included, so it is its own unit of work without the BEGIN and COMMIT
 * round trips (recordPlannedEvent, for single-event ingestion of charges and refunds).
 */
export function inTransaction<T>(db: LedgerDb, work: (trx: LedgerTransaction) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}
