import { lockBalanceForCheckpoint } from '../balances/balance.repository.ts';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { CHECKPOINT_LOCK_WAIT_MS, STATEMENT_CHECKPOINT_SPACING } from '../limits.ts';
import { deleteStatementCheckpointsBefore, insertStatementCheckpoint, lastEntryId, latestStatementCheckpoint } from './statement-checkpoint.repository.ts';

export interface StatementCheckpointWritten {
  /** The checkpoint covers every entry of the restaurant and currency up to this id. */
  through_entry_id: string;
  /** Entries read to write it: those since the previous checkpoint and the stretches cut into new marks. */
  entries_read: number;
  marks: number;
}

/**
 * Writes the statement checkpoint of one restaurant and currency covering every entry committed so
 * far, from the previous one, and deletes the previous one (docs/adr/0007-statement-checkpoints.md).
 *
 * The lock is held only to read W, the last entry id: it is the balance checkpoints' lock, so taking
 * it waits (up to CHECKPOINT_LOCK_WAIT_MS) for the inserts in flight on the restaurant's bucket, and
 * every insert after it draws a larger id. Once W is read, the entries up to W are final; the marks
 * are computed from them in a second transaction, while inserts go on. Returns undefined when
 * nothing was added since the latest checkpoint (or a concurrent writer wrote the same one).
 * @throws a database error 55P03 (lock_not_available) when inserts kept the lock past the wait.
 */
export async function writeStatementCheckpoint(
  ctx: LedgerContext,
  restaurantId: string,
  currency: string,
  spacing: number = STATEMENT_CHECKPOINT_SPACING,
): Promise<StatementCheckpointWritten | undefined> {
  const through = await inTransaction(ctx.db, async (trx) => {
    await lockBalanceForCheckpoint(trx, restaurantId, currency, CHECKPOINT_LOCK_WAIT_MS);
    return lastEntryId(trx, restaurantId, currency);
  });
  if (through === undefined) return undefined;
  return inTransaction(ctx.db, async (trx) => {
    const previous = await latestStatementCheckpoint(trx, restaurantId, currency);
    if (previous !== undefined && BigInt(previous.through_entry_id) >= BigInt(through)) return undefined;
    const written = await insertStatementCheckpoint(trx, restaurantId, currency, through, previous, spacing);
    if (written === undefined) return undefined;
    await deleteStatementCheckpointsBefore(trx, restaurantId, currency, through);
    return { through_entry_id: int8ToId(through), entries_read: int8ToSafeInteger(written.entries_read), marks: int8ToSafeInteger(written.marks) };
  });
}
