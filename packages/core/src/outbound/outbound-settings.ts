import type { LedgerContext } from '../ledger-context.ts';
import {
  OUTBOUND_MAX_ATTEMPTS_DEFAULT,
  OUTBOUND_RETRY_BASE_MS_DEFAULT,
  OUTBOUND_RETRY_CAP_MS_DEFAULT,
  OUTBOUND_TIMEOUT_MS_DEFAULT,
} from '../limits.ts';

/** How outbound events are sent (LEDGER_OUTBOUND_* settings, docs/configuration.md). */
export interface OutboundSettings {
  /** Hosts subscriber URLs may name (outbound-url.ts); empty: none (default deny). */
  allowedHosts: readonly string[];
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryCapMs: number;
}

export function outboundSettings(ctx: LedgerContext): OutboundSettings {
  return {
    allowedHosts: ctx.outbound?.allowedHosts ?? [],
    timeoutMs: ctx.outbound?.timeoutMs ?? OUTBOUND_TIMEOUT_MS_DEFAULT,
    maxAttempts: ctx.outbound?.maxAttempts ?? OUTBOUND_MAX_ATTEMPTS_DEFAULT,
    retryBaseMs: ctx.outbound?.retryBaseMs ?? OUTBOUND_RETRY_BASE_MS_DEFAULT,
    retryCapMs: ctx.outbound?.retryCapMs ?? OUTBOUND_RETRY_CAP_MS_DEFAULT,
  };
}

/**
 * The wait after failed attempt `attempt` (1-based): base × 2^(attempt−1), capped, then scaled by a
 * jitter in [0.8, 1.2) so that receivers coming back up are not hit by every retry at once.
 */
export function retryDelayMs(attempt: number, settings: Pick<OutboundSettings, 'retryBaseMs' | 'retryCapMs'>, random: () => number = Math.random): number {
  const exponential = Math.min(settings.retryCapMs, settings.retryBaseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}
