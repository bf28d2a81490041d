import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { findBalanceCheckpoint, insertBalanceCheckpoint, lockBalanceForCheckpoint } from './balance.repository.ts';
import { CHECKPOINT_LOCK_WAIT_MS } from '../limits.ts';
import { writeStatementCheckpoint } from '../statements/statement-checkpoint.service.ts';

/** Checkpoints queued at once, at most; more requests wait for a later balance read to ask again. */
const CHECKPOINT_QUEUE_MAX = 1_000;

export interface CheckpointWritten {
  /** The checkpoint covers every entry of the restaurant and currency up to this id. */
  through_entry_id: string;
  /** Entries read to write it (beyond the previous checkpoint). */
  entries_read: number;
}

/**
 * Writes a balance checkpoint for one restaurant and currency, cut now, covering every entry
 * committed so far. Waits up to CHECKPOINT_LOCK_WAIT_MS for inserts in flight on that restaurant
 * (their inserts wait for it in turn, for the few milliseconds it takes). Returns undefined when
 * nothing was added since the latest checkpoint.
 * @throws a database error 55P03 (lock_not_available) when inserts kept the lock past the wait.
 */
export async function writeBalanceCheckpoint(ctx: LedgerContext, restaurantId: string, currency: string): Promise<CheckpointWritten | undefined> {
  return inTransaction(ctx.db, async (trx) => {
    await lockBalanceForCheckpoint(trx, restaurantId, currency, CHECKPOINT_LOCK_WAIT_MS);
    const cutAt = ctx.clock();
    const from = await findBalanceCheckpoint(trx, restaurantId, currency, cutAt);
    const row = await insertBalanceCheckpoint(trx, restaurantId, currency, cutAt, from);
    return row === undefined ? undefined : { through_entry_id: int8ToId(row.through_entry_id), entries_read: int8ToSafeInteger(row.entries_read) };
  });
}

/** Balance checkpoints serve balances (ADR 0001), statement checkpoints statement pages (ADR 0007). */
export type CheckpointKind = 'balance' | 'statement';

/** The background writer of checkpoints that balance reads and statement pages ask for. */
export interface BalanceCheckpointer {
  /** Asks for a checkpoint of (restaurant, currency) soon; repeated asks before it is written count once. */
  request(restaurantId: string, currency: string, kind?: CheckpointKind): void;
  /** Resolves once every checkpoint asked for so far is written (or failed). */
  idle(): Promise<void>;
  /** Finishes the checkpoint in hand and drops the rest. */
  stop(): Promise<void>;
}

/**
 * Writes checkpoints (balance and statement) one at a time in the background, in the order they were asked for. A failure
 * (lock wait exceeded, database away) is reported and forgotten: the next balance read that needs
 * the checkpoint asks again, and balances are exact without it, only slower.
 */
export function startBalanceCheckpointer(ctx: LedgerContext, options: { onError?: (error: unknown) => void } = {}): BalanceCheckpointer {
  const queued = new Map<string, { restaurantId: string; currency: string; kind: CheckpointKind }>();
  let stopping = false;
  let running: Promise<void> = Promise.resolve();
  const drain = async () => {
    for (let next = queued.entries().next(); !next.done && !stopping; next = queued.entries().next()) {
      const [key, { restaurantId, currency, kind }] = next.value;
      try {
        await (kind === 'balance' ? writeBalanceCheckpoint(ctx, restaurantId, currency) : writeStatementCheckpoint(ctx, restaurantId, currency));
      } catch (error) {
        options.onError?.(error);
      }
      queued.delete(key);
    }
  };
  return {
    request: (restaurantId, currency, kind = 'balance') => {
      const key = `${kind}\u0000${restaurantId}\u0000${currency}`;
      if (stopping || queued.has(key) || queued.size >= CHECKPOINT_QUEUE_MAX) return;
      const wasIdle = queued.size === 0;
      queued.set(key, { restaurantId, currency, kind });
      if (wasIdle) running = running.then(drain);
    },
    idle: () => running,
    stop: async () => {
      stopping = true;
      await running;
      queued.clear();
    },
  };
}
