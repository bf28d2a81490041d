/**
 * The limits the HTTP edge enforces, each a named setting (see config.ts for the environment
 * variables and docs/configuration.md for the table). The defaults are sized for one server process.
 */

/** Largest request body on every route but the batch webhook. A single event is at most ~17 KiB. */
export const BODY_BYTES_MAX_DEFAULT = 1024 * 1024;
/** Largest batch webhook body: 1,000 events of about 4 KiB each. */
export const BATCH_BODY_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
/** Largest settlement report (`POST /v1/reconciliations`, text/csv): about 100,000 rows of ~40 bytes. */
export const RECONCILIATION_BODY_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
/** The window rate limits count requests in. */
export const RATE_LIMIT_WINDOW_MS_DEFAULT = 60_000;
/** Requests per window for one API key on the API routes (10 per second on average). */
export const RATE_LIMIT_PER_API_KEY_DEFAULT = 600;
/** Requests per window from one IP address on the API routes, whatever the keys it presents. */
export const RATE_LIMIT_PER_IP_DEFAULT = 1_200;
/** Requests per window from one IP address on the webhook routes: processors retry in bursts. */
export const RATE_LIMIT_WEBHOOK_PER_IP_DEFAULT = 6_000;
/** How long /ready waits for the database before it answers 503. */
export const READY_TIMEOUT_MS_DEFAULT = 2_000;
/** How long a graceful shutdown waits for requests in flight before it closes their connections. */
export const SHUTDOWN_TIMEOUT_MS_DEFAULT = 10_000;

export interface RateLimits {
  windowMs: number;
  /** 0 turns a limit off. */
  perApiKey: number;
  perIp: number;
  webhookPerIp: number;
}

export interface EdgeLimits {
  bodyBytesMax: number;
  batchBodyBytesMax: number;
  reconciliationBodyBytesMax: number;
  rateLimits: RateLimits;
  readyTimeoutMs: number;
}

export const EDGE_LIMITS_DEFAULT: EdgeLimits = {
  bodyBytesMax: BODY_BYTES_MAX_DEFAULT,
  batchBodyBytesMax: BATCH_BODY_BYTES_MAX_DEFAULT,
  reconciliationBodyBytesMax: RECONCILIATION_BODY_BYTES_MAX_DEFAULT,
  rateLimits: {
    windowMs: RATE_LIMIT_WINDOW_MS_DEFAULT,
    perApiKey: RATE_LIMIT_PER_API_KEY_DEFAULT,
    perIp: RATE_LIMIT_PER_IP_DEFAULT,
    webhookPerIp: RATE_LIMIT_WEBHOOK_PER_IP_DEFAULT,
  },
  readyTimeoutMs: READY_TIMEOUT_MS_DEFAULT,
};
