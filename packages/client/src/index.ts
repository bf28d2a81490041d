import { createTRPCClient, httpLink, type TRPCClient, TRPCClientError } from '@trpc/client';
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from './generated/router.ts';
import { keepHttpStatus, type RetryOptions, retryLinks } from './retry.ts';

export type { AppRouter, LedgerErrorShape } from './generated/router.ts';
export {
  IDEMPOTENT_MUTATIONS,
  LedgerHttpError,
  RETRY_ATTEMPTS_MAX,
  RETRY_DEFAULT,
  RETRY_DELAY_MAX_MS,
  type RetryOptions,
} from './retry.ts';
export { type SignWebhookOptions, signWebhook, type WebhookHeaders } from './webhooks.ts';

// Every option takes `undefined` too: callers pass env vars (`apiKey: process.env.LEDGER_API_KEY`),
// which exactOptionalPropertyTypes would otherwise refuse.
export interface LedgerClientOptions {
  /** Base URL of the server, e.g. http://localhost:3000 */
  url: string;
  /** One of the server's LEDGER_API_KEYS; omit when the server runs without keys. */
  apiKey?: string | undefined;
  /** Custom fetch (tests, proxies, timeouts). */
  fetch?: typeof globalThis.fetch | undefined;
  /**
   * Retries of reads and of event ingestion (idempotent by event_id) after network failures,
   * 429, 502, 503 and 504, with exponential backoff and full jitter. Other mutations are never
   * retried. Default RETRY_DEFAULT; `false` turns retries off.
   */
  retry?: RetryOptions | false | undefined;
}

/** A typed client for every procedure of the server. */
export type LedgerClient = TRPCClient<AppRouter>;
export type LedgerInputs = inferRouterInputs<AppRouter>;
export type LedgerOutputs = inferRouterOutputs<AppRouter>;

/**
 * A typed client for every procedure of the server. Calls return the bare `data` of the REST
 * envelope; failures throw a LedgerClientError whose `data.code` is the same stable code REST sends.
 *
 * @example
 *   const ledger = createLedgerClient({ url: 'http://localhost:3000', apiKey: process.env.LEDGER_API_KEY });
 *   const balance = await ledger.restaurants.balance.query({ restaurant_id: 'res_001', currency: 'PEN' });
 */
export function createLedgerClient(options: LedgerClientOptions): LedgerClient {
  const authorization = options.apiKey !== undefined ? { authorization: `Bearer ${options.apiKey}` } : {};
  return createTRPCClient<AppRouter>({
    links: [
      ...retryLinks(options.retry),
      httpLink({
        url: `${options.url.replace(/\/+$/, '')}/trpc`,
        headers: () => authorization,
        fetch: keepHttpStatus(options.fetch ?? ((url, init) => globalThis.fetch(url, init))),
      }),
    ],
  });
}

/** What every failed call throws; `error.data.code` is the ledger error code. */
export type LedgerClientError = TRPCClientError<AppRouter>;
/** The closed set of error codes, as the server's router declares them. */
export type LedgerErrorCode = inferRouterError<AppRouter>['data']['code'];

export function isLedgerClientError(error: unknown): error is LedgerClientError {
  return error instanceof TRPCClientError;
}

/** The ledger error code of a failed call, or undefined for anything else (e.g. a network failure). */
export function ledgerErrorCode(error: unknown): LedgerErrorCode | undefined {
  return isLedgerClientError(error) ? error.data?.code : undefined;
}
