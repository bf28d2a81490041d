/** What one pass of a background loop reports: 'more' runs the next pass at once, 'idle' sleeps first. */
export type PassOutcome = 'more' | 'idle';

export interface BackgroundLoop {
  /** Runs the next pass now instead of at the end of the sleep (a no-op while a pass runs). */
  wake(): void;
  /** Stops after the pass in progress (which sees `shouldStop()` turn true); resolves when it has. */
  stop(): Promise<void>;
}

export interface BackgroundLoopOptions {
  /**
   * One pass of work. It reads its state from PostgreSQL and claims what it does there (leases,
   * advisory locks, SKIP LOCKED), so any number of loops in any number of processes may run it, and
   * a process killed mid-pass loses nothing (docs/adr/0010-outbound-events.md).
   */
  pass: (control: { shouldStop: () => boolean }) => Promise<PassOutcome>;
  /** Sleep after an idle pass (or a failed one). */
  intervalMs: number;
  /** Sleep before the first pass (default 0). */
  firstDelayMs?: number;
  /** A pass that threw; the loop sleeps `intervalMs` and tries again. */
  onError?: (error: unknown) => void;
}

/**
 * The one background loop of the service: the payout worker, the payout scheduler, the ledger
 * sealer and the outbound event deliverer are each an instance with their own pass and cadence. Its state is only "stopping"
 * and a timer: everything that must survive a restart is in the database. (ADR 0010 says why this
 * is not graphile-worker or pg-boss: neither runs on the embedded, single-session database.)
 */
export function startBackgroundLoop(options: BackgroundLoopOptions): BackgroundLoop {
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
  const shouldStop = () => stopping;
  const loop = (async () => {
    if ((options.firstDelayMs ?? 0) > 0) await sleep(options.firstDelayMs ?? 0);
    while (!stopping) {
      let outcome: PassOutcome = 'idle';
      try {
        outcome = await options.pass({ shouldStop });
      } catch (error) {
        options.onError?.(error);
      }
      if (outcome === 'idle' && !stopping) await sleep(options.intervalMs);
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
