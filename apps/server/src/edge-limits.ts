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
/**
 * A server claims a client's budget from the shared counter (PostgreSQL) in slices of limit / this,
 * at least 1 request: about this many claim statements per client and window at full rate, over all
 * servers. The limit holds exactly across servers; each server may end a window holding up to one
 * slice unspent, so a client may be refused up to (servers × slice) requests before the limit.
 */
export const RATE_LIMIT_CLAIM_SLICES = 100;
/** How long /ready waits for the database before it answers 503. */
export const READY_TIMEOUT_MS_DEFAULT = 2_000;
/** How long a graceful shutdown waits for requests in flight before it closes their connections. */
export const SHUTDOWN_TIMEOUT_MS_DEFAULT = 10_000;
/**
 * HTTP server processes: 1 serves from the one process started (no cluster); more start that many
 * node:cluster workers sharing the port, each with its own database pool.
 */
export const WORKERS_DEFAULT = 1;
/** The most workers LEDGER_WORKERS may ask for: each opens up to LEDGER_DB_POOL_MAX connections of its own. */
export const WORKERS_MAX = 64;
/** How long a worker's /metrics waits for the primary to gather every worker's metrics (prom-client gives up after 5 s). */
export const CLUSTER_METRICS_TIMEOUT_MS = 6_000;
/** How long the primary waits before it replaces a worker that died after it had started serving. */
export const WORKER_RESTART_DELAY_MS = 1_000;

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
