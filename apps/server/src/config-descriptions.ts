import type { Setting } from './config.ts';

/**
 * What each environment variable does, as docs/configuration.md tells operators
 * (`pnpm docs:generate` writes the table from this record and the schema in config.ts, which gives
 * the default and the accepted range). A Record, so a new setting without a description does not
 * typecheck. `unset` says what happens when a variable without a default is not set. Markdown.
 */
export const SETTING_DESCRIPTIONS: Readonly<Record<Setting, { meaning: string; unset?: string }>> = {
  NODE_ENV: {
    meaning: '`production` makes `DATABASE_URL`, `LEDGER_API_KEYS` and `LEDGER_WEBHOOK_SECRET` required.',
    unset: 'not production',
  },
  PORT: { meaning: 'HTTP port (`0`: any free port, logged at start).' },
  DATABASE_URL: {
    meaning: 'The PostgreSQL to use. Migrations run at start.',
    unset: 'the embedded PostgreSQL (PGlite) in `LEDGER_DATA_DIR`',
  },
  LEDGER_DATA_DIR: {
    meaning:
      'Where the embedded database keeps its files (a relative path resolves from where you ran `pnpm start`). One process at a time: a second server, or `pnpm db:migrate` beside a running one, is refused with a message naming the lock (`<dir>.lock`). A lock left by a killed process goes stale after 10 s, and a start waits up to 15 s for that.',
  },
  LEDGER_API_KEYS: {
    meaning:
      'Comma-separated keys accepted as `Authorization: Bearer <key>` on every route except the webhooks, `/health`, `/ready` and the docs.',
    unset: 'the API is open, with a warning at start',
  },
  LEDGER_WEBHOOK_SECRET: {
    meaning: 'Standard Webhooks secret (`whsec_` + base64). Give several, comma-separated, while you rotate.',
    unset: 'unsigned webhooks are accepted, with a warning at start',
  },
  LEDGER_MATURITY_DAYS: { meaning: 'Default maturity window of new restaurants, in days.' },
  LEDGER_PAYOUT_BATCH_SIZE: { meaning: 'Restaurants per payout batch transaction.' },
  LEDGER_PAYOUT_LEASE_MS: {
    meaning: 'How long a worker holds a run without renewing it (each batch renews); an abandoned run is taken over after it.',
  },
  LEDGER_PAYOUT_POLL_MS: { meaning: 'How often an idle worker looks for queued runs (a new run also wakes it at once).' },
  LEDGER_SEAL_INTERVAL_MS: {
    meaning:
      'How often the sealer seals the entries recorded since its last look into the hash chain ([tamper evidence](tamper-evidence.md)); the sealing lag is about this long. `0` turns sealing off on this server (entries wait, unsealed, for a server that seals). Several servers or workers may run it: one at a time seals.',
  },
  LEDGER_SEAL_BLOCK_SIZE: { meaning: 'Entries per sealed block, at most (a look seals what is waiting in blocks up to this size).' },
  LEDGER_PAYOUT_SCHEDULE_INTERVAL_MS: {
    meaning:
      "How often the payout scheduler looks for restaurants whose `payout_schedule` falls today (UTC) and queues their runs; the first look is 1 s after start. Several servers may run it: one at a time creates the runs, each once ([settlement settings](settlement-settings.md#the-scheduler)).",
  },
  LEDGER_CHECKPOINT_AFTER_ENTRIES: {
    meaning:
      'A balance read, or the opening balance of a statement page, that had to read more entries than this beyond its latest checkpoint asks for a new checkpoint, written in the background ([ADR 0001](adr/0001-balance-checkpoints.md), [ADR 0007](adr/0007-statement-checkpoints.md)).',
  },
  LEDGER_OUTBOUND_ALLOWED_HOSTS: {
    meaning:
      'Comma-separated hosts that outbound-event subscriber URLs may name: a host name or IP address (exact; it may resolve to a private address, e.g. a service on your network), `*.example.com` (any subdomain) or `*` (any host); a host admitted only by a pattern must resolve to public addresses, checked at every connection ([allow-list](outbound-events.md#the-allow-list)).',
    unset: 'no subscriber URL is allowed (default deny)',
  },
  LEDGER_OUTBOUND_TIMEOUT_MS: { meaning: "How long one delivery attempt may take, connection and the receiver's whole answer included; then it is a `timeout` and retried." },
  LEDGER_OUTBOUND_MAX_ATTEMPTS: { meaning: 'Attempts of one delivery before it is `failed` (a replay allows as many again).' },
  LEDGER_OUTBOUND_RETRY_BASE_MS: { meaning: 'The wait after a first failed attempt; each further failure doubles it (±20% jitter), up to `LEDGER_OUTBOUND_RETRY_CAP_MS`.' },
  LEDGER_OUTBOUND_RETRY_CAP_MS: { meaning: 'The longest wait between two attempts of one delivery.' },
  LEDGER_OUTBOUND_POLL_MS: { meaning: 'How often an idle outbound deliverer derives new events from the ledger and looks for due deliveries.' },
  LEDGER_BODY_LIMIT_BYTES: {
    meaning: 'Largest request body on every route but the batch webhook and `/trpc` (413 `PAYLOAD_TOO_LARGE` above). A single event is at most ~17 KiB.',
  },
  LEDGER_BATCH_BODY_LIMIT_BYTES: {
    meaning: 'Largest body of `POST /v1/processor/events/batch` and of any `/trpc` call (the default fits 1,000 events of ~4 KiB).',
  },
  LEDGER_RECONCILIATION_BODY_LIMIT_BYTES: {
    meaning:
      'Largest settlement report `POST /v1/reconciliations` takes as `text/csv` (413 above). Through the SDK the file travels as JSON inside `/trpc`, under `LEDGER_BATCH_BODY_LIMIT_BYTES`.',
  },
  LEDGER_RATE_LIMIT_WINDOW_MS: { meaning: 'The window the rate limits count requests in.' },
  LEDGER_RATE_LIMIT_PER_KEY: { meaning: 'Requests per window for one API key on the API routes (REST and `/trpc`); `0` turns it off.' },
  LEDGER_RATE_LIMIT_PER_IP: {
    meaning: 'Requests per window from one IP address on the API routes, whatever keys it presents (wrong ones too); `0` off.',
  },
  LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: { meaning: 'Requests per window from one IP address on the webhook routes, a budget of their own; `0` off.' },
  LEDGER_TRUST_PROXY: {
    meaning:
      "Express `trust proxy`: which `X-Forwarded-For` hops to believe for the client IP (`1` behind one load balancer, `loopback`, a subnet list, `true`). Leave unset when clients connect directly, or every client shares the proxy's limit.",
    unset: 'off',
  },
  LEDGER_DB_POOL_MAX: {
    meaning: 'PostgreSQL connections the pool opens at most; further queries wait for one (the `waiting` gauge). See [performance](performance.md#pool-size).',
  },
  LEDGER_DB_CONNECT_TIMEOUT_MS: {
    meaning: 'The longest a request waits for a pool connection, to open one or for one to come free in a full pool; past it, 503.',
  },
  LEDGER_DB_STATEMENT_TIMEOUT_MS: {
    meaning:
      "PostgreSQL's `statement_timeout` on every connection: the longest one statement may run, lock waits included, before it is cancelled and its transaction rolls back; then 503. A payout batch cancelled this way puts its run back in the queue, up to its attempt limit. Migrations run under it too: one that needs longer sets `SET LOCAL statement_timeout` itself. PostgreSQL only; the embedded database has none.",
  },
  LEDGER_DB_LOCK_TIMEOUT_MS: {
    meaning:
      "PostgreSQL's `lock_timeout` on every connection: the longest one statement waits for a row or table lock held by another transaction (a payout batch, a balance checkpoint); past it the statement fails, its transaction rolls back, and the request is answered 503 (`database_timeout`), safe to retry. Keep it below `LEDGER_DB_STATEMENT_TIMEOUT_MS`. PostgreSQL only.",
  },
  LEDGER_DB_QUERY_TIMEOUT_MS: {
    meaning:
      'The longest the server waits for the answer to one query, by its own clock; past it, 503 (`database_timeout`) and the connection is closed, never reused. `statement_timeout` cannot fire on a database that does not run at all (frozen, paused, cut off); this can. Keep it a little above `LEDGER_DB_STATEMENT_TIMEOUT_MS`, so a merely slow statement is cancelled by PostgreSQL first. With `LEDGER_DB_CONNECT_TIMEOUT_MS` it bounds how long a request waits for a database that stops answering (3 s + 6.5 s by default). PostgreSQL only.',
    unset: '`LEDGER_DB_STATEMENT_TIMEOUT_MS` + 500',
  },
  LEDGER_DB_PREPARED_STATEMENTS: {
    meaning:
      'Prepare the single-event ingestion statements once per PostgreSQL connection ([performance](performance.md#prepared-statements)). Set `false` behind a pooler that cannot keep named prepared statements (PgBouncer in transaction mode before 1.21). PostgreSQL only.',
  },
  LEDGER_READY_TIMEOUT_MS: { meaning: 'How long `/ready` waits for the database before answering 503.' },
  LEDGER_SHUTDOWN_TIMEOUT_MS: {
    meaning: 'On SIGTERM or SIGINT, how long requests in flight may take to finish before their connections are closed.',
  },
  LEDGER_WORKERS: {
    meaning:
      'HTTP server processes. `1` serves from the process you start; `2` or more (or `auto`: one per core) start that many node:cluster workers sharing `PORT`, with migrations run once by the primary first. Each worker has its own pool, so the database sees up to `LEDGER_WORKERS` × `LEDGER_DB_POOL_MAX` connections. PostgreSQL only: with the embedded database, `auto` means 1 and a larger number is refused ([scaling](scaling.md#workers)).',
  },
  LOG_LEVEL: { meaning: 'pino log level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.' },
};
