import { startBackgroundLoop } from '../background/background-loop.ts';
import { int8ToId } from '../db/int8.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { PAYOUT_SCHEDULE_FIRST_TICK_MS, PAYOUT_SCHEDULE_INTERVAL_MS_DEFAULT } from '../limits.ts';
import { createDueScheduledRuns, type ScheduleDay, tryLockScheduler } from './payout-schedule.repository.ts';


/** The UTC calendar day `now` falls on, with the fields schedules are matched against. */
export function scheduleDayOf(now: Date): ScheduleDay {
  const weekday = now.getUTCDay();
  return { date: now.toISOString().slice(0, 10), isoWeekday: weekday === 0 ? 7 : weekday, dayOfMonth: now.getUTCDate() };
}

/** What one look for due runs did. */
export interface ScheduleTick {
  scheduled_date: string;
  /** False when another server held the scheduler's lock (it is creating the same runs). */
  ran: boolean;
  created: Array<{ run_id: string; restaurant_id: string; currency: string }>;
}

/**
 * Creates today's (UTC, by the context's clock) due scheduled runs, once: under the scheduler's
 * advisory lock (one server at a time), and idempotent by the database's UNIQUE
 * (restaurant_id, currency, scheduled_date), so any number of looks, servers and restarts create
 * each run exactly once. Past days a server missed are not created (docs/settlement-settings.md).
 */
export async function createScheduledRuns(ctx: LedgerContext): Promise<ScheduleTick> {
  const day = scheduleDayOf(ctx.clock());
  return inTransaction(ctx.db, async (trx) => {
    if (!(await tryLockScheduler(trx))) return { scheduled_date: day.date, ran: false, created: [] };
    const created = await createDueScheduledRuns(trx, day);
    return {
      scheduled_date: day.date,
      ran: true,
      created: created.map((row) => ({ run_id: int8ToId(row.id), restaurant_id: row.restaurant_id, currency: row.currency })),
    };
  });
}

export interface PayoutScheduler {
  /** Stops looking; resolves once a look in progress has finished. */
  stop(): Promise<void>;
}

/**
 * The background side of payout schedules: a look for due runs PAYOUT_SCHEDULE_FIRST_TICK_MS after
 * start, then every `intervalMs`. The state is in PostgreSQL (the runs themselves), so a restart
 * loses nothing; the payout worker does the runs it creates (`onRunsCreated` wakes it).
 */
export function startPayoutScheduler(
  ctx: LedgerContext,
  options: { intervalMs?: number; firstTickMs?: number; onTick?: (tick: ScheduleTick) => void; onError?: (error: unknown) => void } = {},
): PayoutScheduler {
  const loop = startBackgroundLoop({
    firstDelayMs: options.firstTickMs ?? PAYOUT_SCHEDULE_FIRST_TICK_MS,
    intervalMs: options.intervalMs ?? PAYOUT_SCHEDULE_INTERVAL_MS_DEFAULT,
    pass: async () => {
      // Not inside onTick?.(…): an optional call skips evaluating its arguments when there is no onTick.
      const tick = await createScheduledRuns(ctx);
      options.onTick?.(tick);
      return 'idle';
    },
    ...(options.onError !== undefined && { onError: options.onError }),
  });
  return { stop: loop.stop };
}
