import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Database, LedgerDb } from './database.ts';

/** Connections in the pool; a query beyond them waits for one to come free. */
export const POOL_SIZE_DEFAULT = 10;
/**
 * The longest a query waits for a connection: to open a new one, or for one to come free in a full
 * pool. Past it the request fails (503) instead of queueing behind a database that does not keep up.
 */
export const CONNECT_TIMEOUT_MS_DEFAULT = 5_000;
/**
 * The longest one statement may run, waiting for locks included, before PostgreSQL cancels it (and
 * its transaction rolls back): a slow or blocked database gives a 503, not a request that hangs.
 */
export const STATEMENT_TIMEOUT_MS_DEFAULT = 10_000;

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number; connectTimeoutMs?: number; statementTimeoutMs?: number }
  | { kind: 'embedded'; dataDir: string };

export interface OpenDatabase {
  db: LedgerDb;
  kind: DatabaseTarget['kind'];
  close(): Promise<void>;
}

/**
 * Opens the ledger database: a pooled PostgreSQL connection, or embedded PostgreSQL (PGlite)
 * persisted in `dataDir`. Every session runs in UTC so that date arithmetic never shifts with DST.
 */
export async function openDatabase(target: DatabaseTarget): Promise<OpenDatabase> {
  if (target.kind === 'postgres') {
    const statementTimeoutMs = target.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS_DEFAULT;
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? POOL_SIZE_DEFAULT,
      connectionTimeoutMillis: target.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      options: `-c TimeZone=UTC -c statement_timeout=${statementTimeoutMs}`,
    });
    // An idle client that loses its server (restart, network) emits here; without a listener the
    // process would crash. The pool discards the client and the next query opens a new one.
    pool.on('error', () => undefined);
    // A client in use emits 'error' too when its server goes away (the fault suite kills the
    // postmaster mid-load), and the pool listens only to idle ones: without this the whole process
    // died of an unhandled 'error' event. The query in flight still fails, and is answered 503.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  mkdirSync(target.dataDir, { recursive: true });
  const client = new PGlite(target.dataDir);
  // PGlite is a single session, so this setting holds for every query that follows.
  await client.exec("SET TimeZone = 'UTC'");
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return { db, kind: 'embedded', close: () => db.destroy() };
}
