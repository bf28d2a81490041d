/**
 * Every bound the ledger enforces and every default it starts from, named with its unit: this module
 * and the server's `apps/server/src/edge-limits.ts` hold them all. docs/configuration.md lists them
 * (`pnpm docs:generate`) with the environment variable that changes each one, where there is one.
 */

/** Largest amount accepted on the wire: JSON numbers above it cannot be represented exactly. */
export const AMOUNT_MINOR_MAX = Number.MAX_SAFE_INTEGER;
/** Serialized size limit of an event's `metadata` object. */
export const METADATA_BYTES_MAX = 16 * 1024;
/** Nesting limit of an event's `metadata`; deeper objects are refused before anything recurses. */
export const METADATA_DEPTH_MAX = 32;
/** Longest event_id accepted. */
export const EVENT_ID_LENGTH_MAX = 255;
/** Longest restaurant name accepted. */
export const RESTAURANT_NAME_LENGTH_MAX = 200;
/** Longest maturity window a restaurant may have, in days. */
export const MATURITY_DAYS_MAX = 365;
/** Maturity window of a new restaurant when LEDGER_MATURITY_DAYS is not set, in days. */
export const MATURITY_DAYS_DEFAULT = 7;
/** A reserve is a share in basis points: 10000 holds the whole charge. */
export const RESERVE_PERCENT_MAX = 10_000;
/** Longest a reserve_release may wait after its sale matures, in days. */
export const RESERVE_DAYS_MAX = 365;
/**
 * How far in the future (by our clock) an event's occurred_at may be. Processor clocks drift a
 * little; an event from further ahead would stay invisible to balances until then, so we refuse it.
 */
export const OCCURRED_AT_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** Earliest occurred_at accepted: older dates are typos (and two-digit years are misread by drivers). */
export const OCCURRED_AT_MIN = '2000-01-01T00:00:00Z';
/** Nesting limit of any request body, checked before anything walks it recursively. */
export const BODY_DEPTH_MAX = 64;
/** Events in one batch request: bounds the statement sizes (about 10 parameters per event) and the answer. */
export const EVENT_BATCH_MAX = 1000;
/** Length of a page cursor accepted back: the server issues cursors far shorter than this. */
export const CURSOR_CHARS_MAX = 1024;

// Database connections

/**
 * Connections in the pool; a query beyond them waits for one to come free (see PoolStats.waiting).
 * Chosen from measurements (docs/performance.md, Tuning): on 2 cores, 10 ingested the most events with the
 * lowest latencies at both 16 and 64 concurrent requests; 20 and 40 only added contention.
 */
export const POOL_SIZE_DEFAULT = 10;
/**
 * The longest a query waits for a connection: to open a new one, or for one to come free in a full
 * pool. Past it the request fails (503) instead of queueing behind a database that does not keep up.
 */
export const CONNECT_TIMEOUT_MS_DEFAULT = 3_000;
/**
 * The longest one statement may run, waiting for locks included, before PostgreSQL cancels it (and
 * its transaction rolls back): a slow or blocked database gives a 503, not a request that hangs.
 */
export const STATEMENT_TIMEOUT_MS_DEFAULT = 6_000;
/**
 * The longest a statement waits for a row or table lock (PostgreSQL's lock_timeout, on every
 * connection): below the statement timeout, so a request stuck behind another transaction's lock
 * (a payout batch, a checkpoint) is answered 503 and can be retried, and the wait is reported as a
 * lock wait (55P03) rather than a slow statement.
 */
export const LOCK_TIMEOUT_MS_DEFAULT = 5_000;
/**
 * The client's query timeout, unless set, is the statement timeout plus this. statement_timeout is
 * enforced by the server and cannot fire when the server does not run at all (its processes frozen,
 * a VM paused, a network that drops packets): then only the client's own clock ends the wait. A
 * little above the statement timeout, so a server that is merely slow still cancels (and rolls
 * back) first. With the defaults a request waits at most 3 s for a connection plus 6.5 s for a
 * query (9.5 s) on a database that stops answering.
 */
export const QUERY_TIMEOUT_MARGIN_MS = 500;
/** A data-directory lock not refreshed for this long belongs to a process that died. */
export const EMBEDDED_LOCK_STALE_MS = 10_000;
/** How long a start waits for a lock left by a process that died to go stale. */
export const EMBEDDED_LOCK_WAIT_MS_DEFAULT = 15_000;

/**
 * The most distinct marked texts given a name. Each is kept by every connection of the pool; a
 * marked statement whose text varied would otherwise grow that without end. Beyond it, statements
 * run unprepared, as every unmarked one does.
 */
export const PREPARED_STATEMENTS_MAX = 32;

// Payout runs

/** Restaurants per batch transaction: small enough to keep transactions short, large enough to be fast. */
export const PAYOUT_BATCH_SIZE_DEFAULT = 200;
/** How long a claimed run stays with its worker without a renewal (each batch renews it). */
export const PAYOUT_LEASE_MS_DEFAULT = 30_000;
/** Retries of one batch after a serialization failure or a unique violation from a concurrent run. */
export const PAYOUT_BATCH_RETRIES_MAX = 5;
/** Attempts of a whole run (across crashes and errors) before it is marked failed. */
export const PAYOUT_RUN_ATTEMPTS_MAX = 5;
/**
 * How long a run's watermark waits for the ledger inserts in flight on one lock bucket (ADR 0006).
 * While it waits, new inserts on that bucket queue behind it, so this bounds their stall too; past
 * it the attempt fails (SQLSTATE 55P03) and the run goes back to the queue.
 */
export const PAYOUT_WATERMARK_WAIT_MS = 2_000;


/** How often an idle worker looks for queued runs (new ones also wake it at once). */
export const PAYOUT_POLL_INTERVAL_MS_DEFAULT = 1_000;

/** How often a server's scheduler looks for due runs (LEDGER_PAYOUT_SCHEDULE_INTERVAL_MS). */
export const PAYOUT_SCHEDULE_INTERVAL_MS_DEFAULT = 60_000;
/** The first look, soon after start: a server that was down on a due day catches up at once. */
export const PAYOUT_SCHEDULE_FIRST_TICK_MS = 1_000;

// Pages

/** Payouts on a page of `GET /v1/payouts` when `limit` is not given. */
export const PAYOUT_PAGE_LIMIT_DEFAULT = 50;
/** Largest `limit` of `GET /v1/payouts`. */
export const PAYOUT_PAGE_LIMIT_MAX = 200;

/** Rows on a page of a paged report (Q1 balances, Q5 deficits) when `limit` is not given. */
export const REPORT_PAGE_LIMIT_DEFAULT = 100;
/** Largest `limit` of a paged report (Q1 balances, Q5 deficits). */
export const REPORT_PAGE_LIMIT_MAX = 1000;
/** Restaurants the top-restaurants report (Q2) ranks. */
export const TOP_RESTAURANTS_LIMIT = 10;
/** Largest `days` window of the top-restaurants report (Q2). */
export const REVENUE_DAYS_MAX = 366;

/** Lines on a statement page when `limit` is not given. */
export const STATEMENT_PAGE_LIMIT_DEFAULT = 100;
/** Largest `limit` of a statement page. */
export const STATEMENT_PAGE_LIMIT_MAX = 1000;
/** Rows fetched per round trip while streaming a CSV: memory stays flat whatever the range. */
export const STATEMENT_STREAM_BATCH = 1000;

// Balance checkpoints

/** A balance, or a statement page's opening balance, that had to read more entries than this beyond its checkpoint asks for a new one. */
export const CHECKPOINT_AFTER_ENTRIES_DEFAULT = 1_000;
/** How long a checkpoint waits for inserts in flight on its restaurant before trying another time. */
export const CHECKPOINT_LOCK_WAIT_MS = 1_000;
/**
 * Entries between two marks of a statement checkpoint: a statement page's opening balance reads at
 * most about twice this many beyond its mark (a stretch is cut when it reaches twice this), plus the
 * entries since the checkpoint. A checkpoint of N entries has about N / this marks.
 */
export const STATEMENT_CHECKPOINT_SPACING = 1_000;
/**
 * Rows of one settlement report (reconciliation file) after its header. The body limit
 * (LEDGER_RECONCILIATION_BODY_LIMIT_BYTES) bounds the bytes; this bounds the work and the answer.
 */
export const RECONCILIATION_ROWS_MAX = 100_000;
/** Length of a settlement report's `payout_id` and `reference` fields (an event_id is at most EVENT_ID_LENGTH_MAX). */
export const RECONCILIATION_FIELD_LENGTH_MAX = 255;

// Ledger seals (docs/tamper-evidence.md)

/** How often a server's sealer seals the entries recorded since its last look (LEDGER_SEAL_INTERVAL_MS; 0 turns it off). */
export const SEAL_INTERVAL_MS_DEFAULT = 1_000;
/**
 * How long a look waits for the transactions that began before it (and so may still commit entries
 * below its watermark) to end; past it, the look seals nothing and the next one tries again.
 */
export const SEAL_WATERMARK_WAIT_MS = 2_000;
/** Entries per sealed block, at most (LEDGER_SEAL_BLOCK_SIZE). */
export const SEAL_BLOCK_SIZE_DEFAULT = 1_000;
/** Largest LEDGER_SEAL_BLOCK_SIZE: a block is one statement's string_agg, held in memory once. */
export const SEAL_BLOCK_SIZE_MAX = 10_000;
/** Blocks one look seals at most; a look that reaches it looks again at once (a backlog after a restart). */
export const SEAL_BLOCKS_PER_LOOK_MAX = 100;
/** Seal rows the verify reads per query. */
export const VERIFY_SEAL_PAGE = 100;
/** Entries the verify reads per query: its memory is one such chunk, whatever the ledger's size. */
export const VERIFY_ENTRY_CHUNK = 1_000;
/** The latest blocks whose hashes Q4 recomputes (the chain's links it checks in full). */
export const INTEGRITY_SEAL_BLOCKS = 100;

/** Outbound events (docs/outbound-events.md): one attempt's time limit (LEDGER_OUTBOUND_TIMEOUT_MS). */
export const OUTBOUND_TIMEOUT_MS_DEFAULT = 10_000;
/** Attempts of one delivery before it is `failed` (a replay allows this many more). */
export const OUTBOUND_MAX_ATTEMPTS_DEFAULT = 20;
/** The wait after a first failed attempt; each further failure doubles it, up to the cap. */
export const OUTBOUND_RETRY_BASE_MS_DEFAULT = 5_000;
/** The longest wait between two attempts of one delivery. */
export const OUTBOUND_RETRY_CAP_MS_DEFAULT = 3_600_000;
/** How often an idle deliverer projects new events and looks for due deliveries. */
export const OUTBOUND_POLL_INTERVAL_MS_DEFAULT = 1_000;
/** Deliveries one deliverer claims and sends at once (concurrently). */
export const OUTBOUND_DELIVERY_BATCH = 20;
/** Source rows one projector pass reads per source table. */
export const OUTBOUND_PROJECT_BATCH = 1_000;
/** A claimed delivery's lease beyond its attempt's timeout: a killed deliverer's claims come back after it. */
export const OUTBOUND_LEASE_MARGIN_MS = 5_000;
/** Characters of a receiver's answer (and of an error message) kept in the delivery log. */
export const OUTBOUND_EXCERPT_CHARS_MAX = 500;
/** Attempts shown with each delivery in a listing (the most recent ones). */
export const OUTBOUND_ATTEMPTS_SHOWN_MAX = 50;
/** Subscriptions, or deliveries, in one listing page unless `limit` says otherwise. */
export const SUBSCRIPTION_PAGE_LIMIT_DEFAULT = 50;
/** The largest `limit` of a subscription or delivery listing. */
export const SUBSCRIPTION_PAGE_LIMIT_MAX = 200;
