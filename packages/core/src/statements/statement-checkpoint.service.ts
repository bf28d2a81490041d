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
 * far, from the previous one, and deletes the previous one (docs/adr/0004-statement-checkpoints.md).
 * Takes the same lock as a balance checkpoint, so it waits up to CHECKPOINT_LOCK_WAIT_MS for the
 * inserts in flight on that restaurant's bucket, and new ones wait for it. Returns undefined when
 * nothing was added since the latest checkpoint.
 * @throws a database error 55P03 (lock_not_available) when inserts kept the lock past the wait.
 */
export async function writeStatementCheckpoint(
  ctx: LedgerContext,
  restaurantId: string,
  currency: string,
  spacing: number = STATEMENT_CHECKPOINT_SPACING,
): Promise<StatementCheckpointWritten | undefined> {
  return inTransaction(ctx.db, async (trx) => {
    await lockBalanceForCheckpoint(trx, restaurantId, currency, CHECKPOINT_LOCK_WAIT_MS);
    const through = await lastEntryId(trx, restaurantId, currency);
    const previous = await latestStatementCheckpoint(trx, restaurantId, currency);
    if (through === undefined || (previous !== undefined && BigInt(previous.through_entry_id) >= BigInt(through))) return undefined;
    const written = await insertStatementCheckpoint(trx, restaurantId, currency, through, previous, spacing);
    await deleteStatementCheckpointsBefore(trx, restaurantId, currency, through);
    return { through_entry_id: int8ToId(through), entries_read: int8ToSafeInteger(written.entries_read), marks: int8ToSafeInteger(written.marks) };
  });
}
