import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { inject } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import type { Database, LedgerDb } from '../../src/db/database.ts';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.ts';
import type { LedgerContext } from '../../src/ledger-context.ts';
import { adminQuery, withDatabase } from './global-setup.ts';

export interface TestDatabase {
  db: LedgerDb;
  /** Connection string of this file's own database (undefined on the embedded database). */
  url: string | undefined;
  kind: 'postgres' | 'embedded';
  context(options?: { clock?: Clock; defaultMaturityDays?: number }): LedgerContext;
  /** Opens another pool on the same database, e.g. to race real connections. */
  openPool(size: number): LedgerDb;
  close(): Promise<void>;
}

/** Whether this run is the embedded (PGlite) pass over the core suite. */
export const EMBEDDED_RUN = process.env.LEDGER_TEST_DATABASE === 'embedded';

/**
 * A fresh database for one test file: a clone of the migrated template on real PostgreSQL, or a
 * new in-memory PGlite in the embedded run; with `migratedThrough`, migrated only up to that
 * migration (to test the next one on data). Dropped by close().
 */
export async function createTestDatabase(options: { poolSize?: number; migratedThrough?: string } = {}): Promise<TestDatabase> {
  if (EMBEDDED_RUN) return createEmbeddedDatabase(options.migratedThrough);
  const adminUrl = inject('adminDatabaseUrl');
  const name = `ledger_t_${randomBytes(6).toString('hex')}`;
  // The migrated template, or an empty database that this file migrates only so far.
  await adminQuery(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${options.migratedThrough === undefined ? inject('templateDatabase') : 'template0'}`);
  const url = withDatabase(adminUrl, name);
  const pools: LedgerDb[] = [];
  const openPool = (size: number): LedgerDb => {
    const pool = new pg.Pool({ connectionString: url, max: size, options: '-c TimeZone=UTC' });
    // Closing clients may still be ending when close() drops the database WITH (FORCE).
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    pools.push(db);
    return db;
  };
  const db = openPool(options.poolSize ?? 5);
  if (options.migratedThrough !== undefined) await migrateTo(db, options.migratedThrough);
  return {
    db,
    url,
    kind: 'postgres',
    context: (ctxOptions) => contextFor(db, ctxOptions),
    openPool,
    close: async () => {
      await Promise.all(pools.map((pool) => pool.destroy()));
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function createEmbeddedDatabase(migratedThrough: string | undefined): Promise<TestDatabase> {
  const client = new PGlite();
  await client.exec("SET TimeZone = 'UTC'");
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  await (migratedThrough === undefined ? migrateToLatest(db) : migrateTo(db, migratedThrough));
  return {
    db,
    url: undefined,
    kind: 'embedded',
    context: (ctxOptions) => contextFor(db, ctxOptions),
    // PGlite is one session: "another pool" is the same serialized connection.
    openPool: () => db,
    close: () => db.destroy(),
  };
}

function contextFor(db: LedgerDb, options: { clock?: Clock; defaultMaturityDays?: number } = {}): LedgerContext {
  return {
    db,
    clock: options.clock ?? (() => new Date()),
    defaultMaturityDays: options.defaultMaturityDays ?? 7,
  };
}
