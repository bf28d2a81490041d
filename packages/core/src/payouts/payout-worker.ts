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
  let stopping = false;
  let wakeUp: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    while (!stopping) {
      let worked: string | undefined;
      try {
        worked = await workNextPayoutRun(ctx, { ...options, shouldStop: () => stopping });
      } catch (error) {
        options.onError?.(error);
      }
      if (worked === undefined && !stopping) await sleep(options.pollIntervalMs ?? PAYOUT_POLL_INTERVAL_MS_DEFAULT);
    }
  })();
  return {
    wake: () => wakeUp?.(),
    stop: async () => {
      stopping = true;
      wakeUp?.();
      await loop;
    },
  };
}
