import type { AppRouter } from '@restaurant-ledger/server';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export interface LedgerClientOptions {
  /** Base URL of the server, e.g. http://localhost:3000 */
  url: string;
  /** One of the server's LEDGER_API_KEYS; omit when the server runs without keys. */
  apiKey?: string;
  /** Custom fetch (tests, proxies, timeouts). */
  fetch?: typeof globalThis.fetch;
}

/**
 * A typed client for every procedure of the server. Calls return the bare `data` of the REST
 * envelope; failures throw a LedgerClientError whose `data.code` is the same stable code REST sends.
 *
 * @example
 *   const ledger = createLedgerClient({ url: 'http://localhost:3000', apiKey: process.env.LEDGER_API_KEY });
 *   const balance = await ledger.restaurants.balance.query({ restaurant_id: 'res_001', currency: 'PEN' });
 */
export function createLedgerClient(options: LedgerClientOptions) {
  const authorization = options.apiKey !== undefined ? { authorization: `Bearer ${options.apiKey}` } : {};
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${options.url.replace(/\/+$/, '')}/trpc`,
        headers: () => authorization,
        ...(options.fetch !== undefined && { fetch: options.fetch }),
      }),
    ],
  });
}

export type LedgerClient = ReturnType<typeof createLedgerClient>;
export type LedgerInputs = inferRouterInputs<AppRouter>;
export type LedgerOutputs = inferRouterOutputs<AppRouter>;

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
