import { int8ToBigInt, int8ToId, int8ToSafeInteger, isSafeMinor } from '../db/int8.ts';
import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { parsePayoutId } from './payout-id.ts';
import {
  advancePayoutRun,
  type BatchProgress,
  blockingPayouts,
  claimPayoutRun,
  createPayouts,
  findPayoutRun,
  insertPayoutRun,
  nextRestaurantBatch,
  type PayoutRunRow,
  renewPayoutRunLease,
  settlePayoutRun,
  unsettledAvailableSums,
} from './payout-run.repository.ts';
import type { PayoutRun, RequestPayoutRunInput } from './payout.schema.ts';

/** Restaurants per batch transaction: small enough to keep transactions short, large enough to be fast. */
export const PAYOUT_BATCH_SIZE_DEFAULT = 200;
/** How long a claimed run stays with its worker without a renewal (each batch renews it). */
export const PAYOUT_LEASE_MS_DEFAULT = 30_000;
/** Retries of one batch after a serialization failure or a unique violation from a concurrent run. */
export const PAYOUT_BATCH_RETRIES_MAX = 5;
/** Attempts of a whole run (across crashes and errors) before it is marked failed. */
export const PAYOUT_RUN_ATTEMPTS_MAX = 5;

export interface PayoutRunOptions {
  owner: string;
  batchSize?: number;
  leaseMs?: number;
  /** Checked between batches: when it returns true the run is released (shutdown). */
  shouldStop?: () => boolean;
  /** Told how each claimed run ended this time (for metrics). */
  onRunSettled?: (outcome: PayoutRunOutcome) => void;
}

/**
 * How a worker's turn at a run ended: completed; failed for good; retry_queued after an error
 * (back in the queue until PAYOUT_RUN_ATTEMPTS_MAX); released back to the queue at shutdown.
 */
export const PAYOUT_RUN_OUTCOMES = ['completed', 'failed', 'retry_queued', 'released'] as const;
export type PayoutRunOutcome = (typeof PAYOUT_RUN_OUTCOMES)[number];

/**
 * Queues a payout run. The work happens in the background (a worker claims it); the row is the
 * durable queue entry, so a run accepted before a crash is still done after the restart.
 * @throws LedgerError VALIDATION_ERROR when as_of is after today
 */
export async function requestPayoutRun(ctx: LedgerContext, input: RequestPayoutRunInput): Promise<PayoutRun> {
  const today = ctx.clock().toISOString().slice(0, 10);
  if (input.as_of > today) {
    throw new LedgerError('VALIDATION_ERROR', 'as_of may not be after today (UTC)', {
      issues: [{ field: 'as_of', message: `must be ${today} or earlier` }],
    });
  }
  return toPayoutRun(await insertPayoutRun(ctx.db, input));
}

/** @throws LedgerError PAYOUT_RUN_NOT_FOUND (also for a malformed id) */
export async function getPayoutRun(ctx: LedgerContext, runId: string): Promise<PayoutRun> {
  const id = parsePayoutId(runId);
  const row = id === undefined ? undefined : await findPayoutRun(ctx.db, id);
  if (row === undefined) throw new LedgerError('PAYOUT_RUN_NOT_FOUND', `payout run ${runId} not found`, { run_id: runId });
  return toPayoutRun(row);
}

/**
 * Claims the next queued (or abandoned) run and works it to the end, batch by batch. Returns the
 * run's id, or undefined when nothing was waiting. Errors are recorded on the run, which goes back
 * to the queue until PAYOUT_RUN_ATTEMPTS_MAX.
 */
export async function workNextPayoutRun(ctx: LedgerContext, options: PayoutRunOptions): Promise<string | undefined> {
  const leaseMs = options.leaseMs ?? PAYOUT_LEASE_MS_DEFAULT;
  const claimed = await claimPayoutRun(ctx.db, options.owner, ctx.clock(), leaseMs);
  if (claimed === undefined) return undefined;
  const runId = int8ToId(claimed.id);
  try {
    for (;;) {
      if (options.shouldStop?.() === true) {
        await settlePayoutRun(ctx.db, runId, options.owner, { status: 'queued', now: ctx.clock() });
        options.onRunSettled?.('released');
        return runId;
      }
      const done = await withBatchRetries(() => processBatch(ctx, claimed, { ...options, leaseMs }));
      if (done) break;
    }
    await settlePayoutRun(ctx.db, runId, options.owner, { status: 'completed', now: ctx.clock() });
    options.onRunSettled?.('completed');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const status = claimed.attempts >= PAYOUT_RUN_ATTEMPTS_MAX ? 'failed' : 'queued';
    await settlePayoutRun(ctx.db, runId, options.owner, { status, now: ctx.clock(), error: message.slice(0, 500) });
    options.onRunSettled?.(status === 'failed' ? 'failed' : 'retry_queued');
    throw error;
  }
  return runId;
}

class LeaseLost extends Error {}

/**
 * One batch of restaurants in one REPEATABLE READ transaction: sums, skip decisions, payouts,
 * settlements and the run's progress all see one snapshot and commit together (or not at all).
 * Returns true when no restaurant is left.
 */
async function processBatch(ctx: LedgerContext, run: PayoutRunRow, options: PayoutRunOptions & { leaseMs: number }): Promise<boolean> {
  const runId = int8ToId(run.id);
  const now = ctx.clock();
  const cutoff = run.cutoff;
  if (cutoff === null) throw new Error(`run ${runId} was claimed without a cutoff`);
  return ctx.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      if (!(await renewPayoutRunLease(trx, runId, options.owner, now, options.leaseMs))) throw new LeaseLost(`lost the lease on run ${runId}`);
      const current = await findPayoutRun(trx, runId);
      const restaurants = await nextRestaurantBatch(trx, run.currency, current?.cursor_restaurant_id ?? null, options.batchSize ?? PAYOUT_BATCH_SIZE_DEFAULT);
      if (restaurants.length === 0) return true;
      const sums = await unsettledAvailableSums(trx, restaurants, run.currency, cutoff);
      const blocked = new Map((await blockingPayouts(trx, restaurants, { currency: run.currency, as_of: run.as_of, cutoff })).map((b) => [b.restaurant_id, b]));
      const minAmount = int8ToSafeInteger(run.min_amount);
      const progress: BatchProgress = {
        cursor: restaurants[restaurants.length - 1] as string,
        created: 0,
        below_min_amount: 0,
        not_positive: 0,
        open_payout: 0,
        already_paid_for_as_of: 0,
        later_payout_exists: 0,
        amount_out_of_range: 0,
      };
      const payable: Array<{ restaurant_id: string; amount: number }> = [];
      for (const restaurantId of restaurants) {
        const items = sums.filter((s) => s.restaurant_id === restaurantId).map((s) => int8ToBigInt(s.amount_minor));
        const amount = items.reduce((sum, item) => sum + item, 0n);
        // Each entry type has one sign, so this is the sum of every entry's absolute value, as Q3 takes it.
        const gross = items.reduce((sum, item) => sum + (item < 0n ? -item : item), 0n);
        const blocking = blocked.get(restaurantId);
        if (blocking?.same_as_of === true) progress.already_paid_for_as_of += 1;
        else if (blocking?.later_cutoff === true) progress.later_payout_exists += 1;
        else if (blocking !== undefined) progress.open_payout += 1;
        else if (amount <= 0n) progress.not_positive += 1;
        else if (!isSafeMinor(gross)) progress.amount_out_of_range += 1;
        else if (amount < BigInt(minAmount)) progress.below_min_amount += 1;
        else payable.push({ restaurant_id: restaurantId, amount: Number(amount) });
      }
      const created = await createPayouts(trx, { id: runId, currency: run.currency, as_of: run.as_of, cutoff, now }, payable);
      for (const payout of created) {
        // Both sides of the invariant: what was summed must be exactly what was settled.
        if (int8ToSafeInteger(payout.settled_minor) !== int8ToSafeInteger(payout.amount_minor)) {
          throw new Error(`payout for ${payout.restaurant_id} settled ${payout.settled_minor} but its amount is ${payout.amount_minor}`);
        }
      }
      progress.created = created.length;
      await advancePayoutRun(trx, runId, progress);
      return false;
    });
}

/** Serialization failures and unique violations mean a concurrent run got there first: try the batch again. */
async function withBatchRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const retryable = code === '40001' || code === '40P01' || code === '23505';
      if (!retryable || attempt >= PAYOUT_BATCH_RETRIES_MAX) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt * Math.random()));
    }
  }
}

export function toPayoutRun(row: PayoutRunRow): PayoutRun {
  return {
    run_id: int8ToId(row.id),
    status: row.status as PayoutRun['status'],
    currency: row.currency,
    as_of: row.as_of,
    min_amount: int8ToSafeInteger(row.min_amount),
    cutoff: row.cutoff?.toISOString() ?? null,
    created: row.created_count,
    skipped: {
      below_min_amount: row.skipped_below_min_amount,
      not_positive: row.skipped_not_positive,
      open_payout: row.skipped_open_payout,
      already_paid_for_as_of: row.skipped_already_paid_for_as_of,
      later_payout_exists: row.skipped_later_payout_exists,
      amount_out_of_range: row.skipped_amount_out_of_range,
    },
    attempts: row.attempts,
    last_error: row.last_error,
    requested_at: row.requested_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
  };
}

