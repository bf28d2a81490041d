import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import lockfile from 'proper-lockfile';
import type { Database, LedgerDb } from './database.ts';
import { PreparingClient } from './prepared-statements.ts';
import { POOL_SIZE_DEFAULT, CONNECT_TIMEOUT_MS_DEFAULT, STATEMENT_TIMEOUT_MS_DEFAULT, LOCK_TIMEOUT_MS_DEFAULT, QUERY_TIMEOUT_MARGIN_MS, EMBEDDED_LOCK_STALE_MS, EMBEDDED_LOCK_WAIT_MS_DEFAULT } from '../limits.ts';

/** node-postgres' message when query_timeout fires; isDatabaseTimeout recognises it. */
export const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';
/**
 * Every session runs in UTC (date arithmetic never shifts with DST), and with three planner settings
 * chosen from measurements (docs/performance.md, Tuning): random_page_cost 1.1, because the ledger's working set
 * is cached or on SSD and the default 4 made the planner hash-join a whole table instead of probing
 * an index (a payout batch's "not yet settled" check: 273 ms -> 37 ms); no JIT, which spent ~26 ms
 * compiling a 110 ms payout batch statement; and no parallel workers, whose start-up cost a balance
 * read 8 ms for a scan of nothing (the planner cannot see that a restaurant's ids cluster) while the
 * widest report gained nothing from them (Q1 over 2.1M entries: 194 ms parallel, 183 ms not).
 */
export const SESSION_OPTIONS = '-c TimeZone=UTC -c random_page_cost=1.1 -c jit=off -c max_parallel_workers_per_gather=0';
/** How the server's sessions name themselves in pg_stat_activity. */
export const APPLICATION_NAME = 'restaurant-ledger';
/** How often the holder refreshes its lock: well inside the stale window, even under load. */
const EMBEDDED_LOCK_REFRESH_MS = 2_000;

export type DatabaseTarget =
  | {
      kind: 'postgres';
      url: string;
      poolSize?: number;
      connectTimeoutMs?: number;
      statementTimeoutMs?: number;
      lockTimeoutMs?: number;
      queryTimeoutMs?: number;
      /**
       * Prepare the hot statements (see PREPARED_MARKER) once per connection; default true. Turn off
       * behind a pooler that cannot keep named statements (PgBouncer in transaction mode before 1.21).
       */
      preparedStatements?: boolean;
    }
  | { kind: 'embedded'; dataDir: string; lockWaitMs?: number };

/** What the connection pool is doing now, for metrics. */
export interface PoolStats {
  max: number;
  /** Connections running a query or holding a transaction. */
  inUse: number;
  idle: number;
  /** Queries waiting for a connection because all `max` are in use. */
  waiting: number;
}

export interface OpenDatabase {
  db: LedgerDb;
  kind: DatabaseTarget['kind'];
  poolStats(): PoolStats;
  close(): Promise<void>;
}

/**
 * Opens the ledger database: a pooled PostgreSQL connection, or embedded PostgreSQL (PGlite)
 * persisted in `dataDir`. Every session runs in UTC so that date arithmetic never shifts with DST.
 */
export async function openDatabase(target: DatabaseTarget): Promise<OpenDatabase> {
  if (target.kind === 'postgres') {
    const max = target.poolSize ?? POOL_SIZE_DEFAULT;
    const statementTimeoutMs = target.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS_DEFAULT;
    const pool = new pg.Pool({
      Client: boundedClient(target.preparedStatements !== false ? PreparingClient : pg.Client),
      connectionString: target.url,
      max,
      connectionTimeoutMillis: target.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      // Set per session by the server itself, so a runaway query is cancelled whatever the role's defaults.
      statement_timeout: statementTimeoutMs,
      lock_timeout: target.lockTimeoutMs ?? LOCK_TIMEOUT_MS_DEFAULT,
      // Enforced by the client: see QUERY_TIMEOUT_MARGIN_MS.
      query_timeout: target.queryTimeoutMs ?? statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
      application_name: APPLICATION_NAME,
      options: SESSION_OPTIONS,
    });
    // An idle client that loses its server (restart, network) emits here; without a listener the
    // process would crash. The pool discards the client and the next query opens a new one.
    pool.on('error', () => undefined);
    // A client in use emits 'error' too when its server goes away (the fault suite kills the
    // postmaster mid-load), and the pool listens only to idle ones: without this the whole process
    // died of an unhandled 'error' event. The query in flight still fails, and is answered 503.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const poolStats = (): PoolStats => ({
      max,
      inUse: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    });
    return { db, kind: 'postgres', poolStats, close: () => db.destroy() };
  }
  mkdirSync(target.dataDir, { recursive: true });
  const release = await lockDataDir(target.dataDir, target.lockWaitMs ?? EMBEDDED_LOCK_WAIT_MS_DEFAULT);
  try {
    const client = new PGlite(target.dataDir);
    // PGlite is a single session, so this setting holds for every query that follows.
    await client.exec("SET TimeZone = 'UTC'");
    const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
    // One in-process session; the dialect queues queries in front of it and does not say how many.
    const poolStats = (): PoolStats => ({ max: 1, inUse: 0, idle: 1, waiting: 0 });
    return {
      db,
      kind: 'embedded',
      poolStats,
      close: async () => {
        await db.destroy();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * A client that, once a query timed out on its side, is never used again. node-postgres leaves the
 * timed-out query on the wire: the next query on that connection would queue behind it (or read
 * its late answer), and the transaction's ROLLBACK would wait a second full timeout. So the socket
 * is destroyed at once (the server rolls the transaction back when it sees the connection gone),
 * every later query on it fails at once with the same timeout, and the pool discards the client on
 * release because it is no longer queryable.
 */
function boundedClient(Base: typeof pg.Client): typeof pg.Client {
  return class BoundedClient extends Base {
    #timedOut = false;

    // node-postgres' query has a dozen overloads (promise, callback, stream); Kysely uses the promise one.
    override query(...args: any[]): any {
      if (this.#timedOut) return Promise.reject(new Error(QUERY_TIMEOUT_MESSAGE));
      const result: unknown = Reflect.apply(super.query, this, args);
      if (!(result instanceof Promise)) return result;
      return result.catch((error: unknown) => {
        if (error instanceof Error && error.message === QUERY_TIMEOUT_MESSAGE && !this.#timedOut) {
          this.#timedOut = true;
          // Marks the client ending at once (so the pool drops it on release) and, with the query
          // still active, destroys the socket rather than waiting on the server to say goodbye.
          this.end().catch(() => undefined);
        }
        throw error;
      });
    }
  };
}

/**
 * Takes the embedded database's data directory for this process alone. PGlite has no postmaster
 * to refuse a second process, and two processes writing one directory lose acknowledged writes;
 * so a second server (or `pnpm db:migrate` beside a running one) is refused with a clear error.
 * A lock left by a process that died goes stale after EMBEDDED_LOCK_STALE_MS; a start waits up to
 * `waitMs` for that.
 */
async function lockDataDir(dataDir: string, waitMs: number): Promise<() => Promise<void>> {
  const retryEveryMs = 500;
  try {
    return await lockfile.lock(dataDir, {
      stale: EMBEDDED_LOCK_STALE_MS,
      update: EMBEDDED_LOCK_REFRESH_MS,
      retries: { retries: Math.floor(waitMs / retryEveryMs), minTimeout: retryEveryMs, maxTimeout: retryEveryMs, factor: 1 },
      onCompromised: (error) => {
        // Another process may be writing the directory now: stopping is the only safe move.
        throw new Error(`lost the lock on the embedded database ${dataDir}: ${error.message}`);
      },
    });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ELOCKED') {
      throw new Error(
        `the embedded database ${dataDir} is in use by another process (its lock is ${dataDir}.lock); ` +
          'stop that process, or set LEDGER_DATA_DIR to another directory',
        { cause: error },
      );
    }
    throw error;
  }
}
