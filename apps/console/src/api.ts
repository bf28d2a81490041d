/**
 * The console's only way to the server: GET requests to the JSON API, with the API key in the
 * `Authorization` header. The key lives in sessionStorage (gone when the tab closes), never in a URL,
 * a cookie or localStorage. There is no function here that sends anything but GET: the console
 * cannot change the ledger.
 */

const KEY_STORAGE = 'restaurant-ledger.console.api-key';

/** What the server says about itself at /console/config.json. */
export interface ConsoleConfig {
  /** false when the server has no API keys configured (development): every route is open. */
  api_key_required: boolean;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

export type QueryValue = string | number | undefined | null;

/** `/v1/x` + `{a: 1, b: undefined}` → `/v1/x?a=1`; path segments are encoded by the caller with `segment`. */
export function apiPath(path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const search = params.toString();
  return search === '' ? path : `${path}?${search}`;
}

export const segment = (value: string): string => encodeURIComponent(value);

/** How the server describes itself to the console (whether a key is needed). Public: no key sent. */
export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/console/config.json', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new ApiError(response.status, 'CONSOLE_CONFIG', 'The server did not describe the console', null);
  return (await response.json()) as ConsoleConfig;
}

/**
 * GET `path` (with its query) from the JSON API and answer the envelope's `data`.
 * @throws ApiError with the envelope's code (AUTH_REQUIRED, CURSOR_INVALID, …) or NETWORK_ERROR
 */
export async function apiGet<T>(path: string, key: string | null = storedKey()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let response: Response;
  try {
    response = await fetch(path, { method: 'GET', headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
  } catch (error) {
    throw new ApiError(0, 'NETWORK_ERROR', `The server could not be reached (${String(error)})`, null);
  }
  const requestId = response.headers.get('x-request-id');
  const body = (await response.json().catch(() => null)) as Envelope<T> | null;
  if (body === null) throw new ApiError(response.status, 'BAD_RESPONSE', `HTTP ${response.status} without a JSON envelope`, requestId);
  if (!body.success) throw new ApiError(response.status, body.error.code, body.error.message, requestId);
  return body.data;
}

type Envelope<T> = { success: true; data: T } | { success: false; error: { code: string; message: string } };

/**
 * Whether `key` opens the API, by the cheapest authenticated read there is (the first payout run,
 * by primary key). Answers the ApiError (401 AUTH_REQUIRED for a wrong key) rather than throwing it.
 */
export async function checkKey(key: string): Promise<ApiError | null> {
  try {
    await apiGet(apiPath('/v1/payouts/runs', { limit: 1 }), key);
    return null;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}
