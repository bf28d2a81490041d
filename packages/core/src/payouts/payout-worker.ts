import { startBackgroundLoop } from '../background/background-loop.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { type PayoutRunOptions, workNextPayoutRun } from './payout-run.service.ts';
import { PAYOUT_POLL_INTERVAL_MS_DEFAULT } from '../limits.ts';

export interface PayoutWorker {
  /** Look for work now (called when a run is queued). */
  wake(): void;
  /** Stops taking runs; the run in hand stops after its current batch and goes back to the queue. */
  stop(): Promise<void>;
}

/**
 * The background side of payout runs: a loop that claims runs from the payout_runs table
 * (FOR UPDATE SKIP LOCKED with a lease), works each to the end, and sleeps when there are none.
 * Several workers (server instances) can run side by side.
 */
export function startPayoutWorker(
  ctx: LedgerContext,
  options: Omit<PayoutRunOptions, 'shouldStop'> & { pollIntervalMs?: number; onError?: (error: unknown) => void },
): PayoutWorker {
  const loop = startBackgroundLoop({
    intervalMs: options.pollIntervalMs ?? PAYOUT_POLL_INTERVAL_MS_DEFAULT,
    pass: async ({ shouldStop }) => ((await workNextPayoutRun(ctx, { ...options, shouldStop })) === undefined ? 'idle' : 'more'),
    ...(options.onError !== undefined && { onError: options.onError }),
  });
  return { wake: loop.wake, stop: loop.stop };
}
