import { decodeCursor, encodeCursor } from '../cursor.ts';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { idPositionSchema, parsePayoutId } from './payout-id.ts';
import type { PayoutDecisionRow, PayoutTerms } from './payout-eligibility.repository.ts';
import {
  type ChunkOutcome,
  claimPayoutRun,
  findPayoutRun,
  findPayoutRunPage,
  insertPayoutRun,
  ledgerWatermark,
  payChunk,
  type PayoutRunRow,
  settlePayoutRun,
} from './payout-run.repository.ts';
import {
  type ListPayoutRunsInput,
  PAYOUT_SKIP_REASONS,
  type PayoutRun,
  type PayoutRunPage,
  type PayoutSkipCounts,
  type RequestPayoutRunInput,
} from './payout.schema.ts';

import { PAYOUT_BATCH_SIZE_DEFAULT, PAYOUT_LEASE_MS_DEFAULT, PAYOUT_BATCH_RETRIES_MAX, PAYOUT_RUN_ATTEMPTS_MAX } from '../limits.ts';

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
 * Payout runs in id order, filtered (how they were created, restaurant, currency, scheduled date), one keyset page at a time: how the scheduler is watched.
 * @throws LedgerError CURSOR_INVALID
 */
export async function listPayoutRuns(ctx: LedgerContext, input: ListPayoutRunsInput): Promise<PayoutRunPage> {
  const { cursor, limit, ...given } = input;
  const filters = {
    trigger: given.trigger ?? null,
    restaurant_id: given.restaurant_id ?? null,
    currency: given.currency ?? null,
    scheduled_date: given.scheduled_date ?? null,
  };
  const afterId = cursor === undefined ? undefined : decodeCursor('payout_runs', cursor, filters, idPositionSchema).id;
  const rows = await findPayoutRunPage(ctx.db, { ...given, ...(afterId !== undefined && { afterId }) }, limit);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toPayoutRun),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor('payout_runs', filters, { id: int8ToId(last.id) }) : null,
  };
}

/**
 * Claims the next queued (or abandoned) run and works it to the end, batch by batch. Returns the
 * run's id, or undefined when nothing was waiting. Errors are recorded on the run, which goes back
 * to the queue until PAYOUT_RUN_ATTEMPTS_MAX. The ledger's watermark is read once per claim: this
 * turn at the run settles entries recorded before it began, and no later ones.
 */
export async function workNextPayoutRun(ctx: LedgerContext, options: PayoutRunOptions): Promise<string | undefined> {
  const leaseMs = options.leaseMs ?? PAYOUT_LEASE_MS_DEFAULT;
  const claimed = await claimPayoutRun(ctx.db, options.owner, ctx.clock(), leaseMs);
  if (claimed === undefined) return undefined;
  const runId = int8ToId(claimed.id);
  try {
    const watermark = await ledgerWatermark(ctx.db);
    for (;;) {
      if (options.shouldStop?.() === true) {
        await settlePayoutRun(ctx.db, runId, options.owner, { status: 'queued', now: ctx.clock() });
        options.onRunSettled?.('released');
        return runId;
      }
      const done = await withBatchRetries(() => processBatch(ctx, claimed, watermark, { ...options, leaseMs }));
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
 * One batch of restaurants: one statement (payChunk) selects the next restaurants, applies the
 * eligibility rule, writes the payouts with their entries and the run's progress, from one snapshot;
 * then, before the transaction commits, what it returned is decided again here and must agree.
 * Returns true when no restaurant is left.
 */
async function processBatch(
  ctx: LedgerContext,
  run: PayoutRunRow,
  watermark: string,
  options: PayoutRunOptions & { leaseMs: number },
): Promise<boolean> {
  const runId = int8ToId(run.id);
  const chunk = {
    runId,
    owner: options.owner,
    terms: termsOf(run),
    watermark,
    now: ctx.clock(),
    leaseMs: options.leaseMs,
    batchSize: options.batchSize ?? PAYOUT_BATCH_SIZE_DEFAULT,
  };
  return ctx.db.transaction().execute(async (trx) => {
    const outcome = await payChunk(trx, chunk);
    if (!outcome.lease_held) throw new LeaseLost(`lost the lease on run ${runId}`);
    if (outcome.decisions.length === 0) return true;
    checkChunk(outcome);
    return false;
  });
}

function termsOf(run: PayoutRunRow): PayoutTerms {
  if (run.cutoff === null) throw new Error(`run ${int8ToId(run.id)} was claimed without a cutoff`);
  return { currency: run.currency, as_of: run.as_of, cutoff: run.cutoff, min_amount: int8ToSafeInteger(run.min_amount) };
}

/** What one batch will do: the payouts to write, and how many restaurants it skips for each reason. */
export interface BatchPlan {
  payable: Array<{ restaurant_id: string; amount: number }>;
  skipped: PayoutSkipCounts;
}

/**
 * Decide: the rule's rows become the payouts to write and the skip counts. Every paid amount is
 * checked again here (positive, exact).
 */
export function decide(decisions: readonly PayoutDecisionRow[]): BatchPlan {
  const skipped = Object.fromEntries(PAYOUT_SKIP_REASONS.map((reason) => [reason, 0])) as PayoutSkipCounts;
  const payable: BatchPlan['payable'] = [];
  for (const decision of decisions) {
    if (decision.skip_reason === null) {
      const amount = int8ToSafeInteger(decision.amount);
      if (amount <= 0) throw new Error(`the rule pays ${decision.restaurant_id} an amount of ${amount}`);
      payable.push({ restaurant_id: decision.restaurant_id, amount });
    } else if (PAYOUT_SKIP_REASONS.includes(decision.skip_reason)) {
      skipped[decision.skip_reason] += 1;
    } else {
      throw new Error(`the rule skips ${decision.restaurant_id} for an unknown reason: ${String(decision.skip_reason)}`);
    }
  }
  return { payable, skipped };
}

/**
 * Both sides of the write: the restaurants the decisions pay are exactly those that got a payout,
 * each of the decided amount, each with its payout entry, and the run's progress was recorded.
 * Throwing rolls the batch back.
 */
export function checkChunk(outcome: ChunkOutcome): void {
  const plan = decide(outcome.decisions);
  const made = outcome.decisions.filter((decision) => decision.payout_id !== null);
  if (made.length !== plan.payable.length || outcome.payout_entries !== made.length) {
    throw new Error(`planned ${plan.payable.length} payouts but created ${made.length} with ${outcome.payout_entries} payout entries`);
  }
  for (const decision of made) {
    if (decision.skip_reason !== null || decision.paid_amount !== decision.amount) {
      throw new Error(`payout ${String(decision.payout_id)} for ${decision.restaurant_id} is ${String(decision.paid_amount)}, decided ${decision.amount}`);
    }
  }
  if (outcome.cursor === null) throw new Error('the batch wrote no progress: the run changed hands during it');
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
    trigger: row.trigger as PayoutRun['trigger'],
    restaurant_id: row.restaurant_id,
    scheduled_date: row.scheduled_date,
    created: row.created_count,
    skipped: Object.fromEntries(PAYOUT_SKIP_REASONS.map((reason) => [reason, row[`skipped_${reason}`]])) as PayoutSkipCounts,
    attempts: row.attempts,
    last_error: row.last_error,
    requested_at: row.requested_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
  };
}

