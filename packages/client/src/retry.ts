import { type HTTPLinkOptions, retryLink, TRPCClientError, type TRPCLink } from '@trpc/client';
import type { AppRouter } from './generated/router.ts';

/** How failed calls that are safe to repeat are retried; `false` turns retries off. */
export interface RetryOptions {
  /** Attempts in all, the first included (1 means no retry). Default 3, at most RETRY_ATTEMPTS_MAX. */
  attempts?: number | undefined;
  /** The first retry waits up to this long; each further retry doubles it (full jitter). Default 200. */
  baseDelayMs?: number | undefined;
  /**
   * No wait is longer. A server's Retry-After is waited out when it is no longer than this; a
   * longer one ends the retries. Default 5000, at most RETRY_DELAY_MAX_MS.
   */
  maxDelayMs?: number | undefined;
}

export const RETRY_DEFAULT = { attempts: 3, baseDelayMs: 200, maxDelayMs: 5_000 } as const;
export const RETRY_ATTEMPTS_MAX = 10;
export const RETRY_DELAY_MAX_MS = 60_000;

/**
 * Mutations a repeat cannot apply twice: an event is recorded once per event_id, and a replay
 * answers `idempotent: true`. Payout runs, restaurant changes and markProcessing are not here:
 * after a lost response nobody knows whether they happened, so they are never retried.
 */
export const IDEMPOTENT_MUTATIONS: ReadonlySet<string> = new Set(['events.ingest', 'events.ingestBatch']);

/** Overloaded or restarting (503), rate limited (429), or a gateway that lost the server (502, 504). */
const RETRYABLE_HTTP_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);

type LinkFetch = NonNullable<HTTPLinkOptions<{ transformer: false; errorShape: unknown }>['fetch']>;

/** An HTTP failure that came without a ledger error body, typically from a proxy or load balancer. */
export class LedgerHttpError extends Error {
  override readonly name = 'LedgerHttpError';
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status} without a ledger error body`);
  }
}

/**
 * tRPC reads every response as JSON, so a proxy's HTML 502 would surface as a JSON syntax error
 * with its status lost; this keeps the status (and Retry-After) for the retry decision.
 */
export function keepHttpStatus(fetchImpl: typeof globalThis.fetch): LinkFetch {
  return async (input, init) => {
    // tRPC's RequestInitEsque is the subset of RequestInit that tRPC fills in.
    const response = await fetchImpl(input, init as RequestInit);
    if (response.ok || (response.headers.get('content-type') ?? '').includes('json')) return response;
    await response.body?.cancel();
    throw new LedgerHttpError(response.status, retryAfterMs(response.headers));
  };
}

/** The retry link for the options, or none when retries are off. */
export function retryLinks(options: RetryOptions | false | undefined): Array<TRPCLink<AppRouter>> {
  if (options === false) return [];
  const policy = resolveRetryOptions(options);
  // retryLink asks `retry` then, synchronously, `retryDelayMs` for the same failure; the hint
  // carries the server's Retry-After from one to the other.
  let retryAfterHintMs: number | undefined;
  return [
    retryLink<AppRouter>({
      retry: ({ op, error, attempts }) => {
        const safe = op.type === 'query' || (op.type === 'mutation' && IDEMPOTENT_MUTATIONS.has(op.path));
        if (!safe || attempts >= policy.attempts || op.signal?.aborted === true) return false;
        const verdict = retryVerdict(error);
        // A server asking for a longer wait than the caller allows gets it: the error surfaces now
        // instead of a retry the server said would fail.
        if (verdict.retryAfterMs !== undefined && verdict.retryAfterMs > policy.maxDelayMs) return false;
        retryAfterHintMs = verdict.retryAfterMs;
        return verdict.retry;
      },
      retryDelayMs: (attempts) => {
        const backoffMs = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
        const delayMs = retryAfterHintMs ?? backoffMs;
        retryAfterHintMs = undefined;
        return delayMs;
      },
    }),
  ];
}

function resolveRetryOptions(options: RetryOptions | undefined): Required<{ [K in keyof RetryOptions]: number }> {
  const attempts = options?.attempts ?? RETRY_DEFAULT.attempts;
  const baseDelayMs = options?.baseDelayMs ?? RETRY_DEFAULT.baseDelayMs;
  const maxDelayMs = options?.maxDelayMs ?? RETRY_DEFAULT.maxDelayMs;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > RETRY_ATTEMPTS_MAX) {
    throw new RangeError(`retry.attempts must be an integer from 1 to ${RETRY_ATTEMPTS_MAX}`);
  }
  for (const [name, value] of [['baseDelayMs', baseDelayMs], ['maxDelayMs', maxDelayMs]] as const) {
    if (!(value >= 0 && value <= RETRY_DELAY_MAX_MS)) throw new RangeError(`retry.${name} must be from 0 to ${RETRY_DELAY_MAX_MS}`);
  }
  return { attempts, baseDelayMs, maxDelayMs };
}

function retryVerdict(error: TRPCClientError<AppRouter>): { retry: boolean; retryAfterMs: number | undefined } {
  const cause = error.cause;
  if (cause instanceof LedgerHttpError) return { retry: RETRYABLE_HTTP_STATUS.has(cause.status), retryAfterMs: cause.retryAfterMs };
  const response = error.meta?.response as Partial<Pick<Response, 'status' | 'headers'>> | undefined;
  if (typeof response?.status === 'number' && response.headers !== undefined) {
    return { retry: RETRYABLE_HTTP_STATUS.has(response.status), retryAfterMs: retryAfterMs(response.headers) };
  }
  // No response at all: refused, reset or unreachable. fetch reports those as a TypeError.
  return { retry: cause instanceof TypeError, retryAfterMs: undefined };
}

/** Retry-After as seconds or as an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
