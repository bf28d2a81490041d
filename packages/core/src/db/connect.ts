import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Database, LedgerDb } from './database.ts';

export const POOL_SIZE_DEFAULT = 10;
export const CONNECT_TIMEOUT_MS = 5_000;

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
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
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? POOL_SIZE_DEFAULT,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      options: '-c TimeZone=UTC',
    });
    // An idle client that loses its server (restart, network) emits here; without a listener the
    // process would crash. The pool discards the client and the next query opens a new one.
    pool.on('error', () => undefined);
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
