/** Every bound the loader enforces, named with its unit. */

/** Requests in flight at once when `--concurrency` is not given. */
export const LOAD_CONCURRENCY_DEFAULT = 8;
/**
 * Upper bound on `--concurrency`. Each request holds a database connection on the server for its
 * transaction; far more than the server's pool only queues there and hides the real throughput.
 */
export const LOAD_CONCURRENCY_MAX = 64;

/** Attempts per line, the first included, for network errors, 503 and 429. */
export const DELIVERY_ATTEMPTS_MAX = 5;
/** First retry waits about this long; each later one waits twice as long as the one before. */
export const RETRY_BASE_DELAY_MS = 250;
/** No single wait between attempts is longer than this, whatever `Retry-After` asks for. */
export const RETRY_DELAY_MAX_MS = 8_000;
/** A request with no answer after this long counts as a network error (and is retried). */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Characters of a non-JSON error body quoted in the summary; enough to recognise a proxy page. */
export const ERROR_BODY_QUOTE_CHARS_MAX = 200;

/**
 * Restaurant/currency pairs whose balances are compared before and after a load. Two GETs per pair;
 * a file naming more pairs than this is loaded without the comparison (the summary says so).
 */
export const BALANCE_CHECK_PAIRS_MAX = 1_000;

/** How long `verify-chain` waits for the server: a whole ledger is hashed again, about 1 s per 100,000 entries. */
export const VERIFY_REQUEST_TIMEOUT_MS = 30 * 60_000;
