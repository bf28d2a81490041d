import type { LedgerDb, LedgerTransaction } from './database.ts';

/**
 * The one place a command's transaction is opened. Everything `work` writes commits together, or,
 * when it throws (a LedgerError included), nothing does.
 */
export function inTransaction<T>(db: LedgerDb, work: (trx: LedgerTransaction) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}
