import { setTimeout as sleep } from 'node:timers/promises';
import { migrateToLatest } from '@restaurant-ledger/core';
import type { Database } from '@restaurant-ledger/core';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

/** Every database a run creates is named with this prefix, and a run drops no other. */
export const RUN_DATABASE_PREFIX = 'perf_bench_';
/** CREATE DATABASE … TEMPLATE needs the template to itself; someone's `pnpm bench:explain` may hold it for a while. */
const TEMPLATE_BUSY_WAIT_MS = 120_000;
const TEMPLATE_BUSY_RETRY_MS = 2_000;
const OBJECT_IN_USE = '55006';
/**
 * A run's databases are `perf_bench_<start time in base 36>_<role>`. Those of a run that died
 * before its cleanup (killed, machine restarted) are dropped by a later run once they are this old;
 * no run lasts that long, so a database in use is never one of them.
 */
const ABANDONED_AFTER_MS = 6 * 60 * 60 * 1000;
const RUN_DATABASE_PATTERN = new RegExp(`^${RUN_DATABASE_PREFIX}([0-9a-z]+)_(raw|service|ledger)$`);

/** The prefix of one run's databases, from the time it started. */
export function runDatabasesPrefix(startedAt: Date): string {
  return `${RUN_DATABASE_PREFIX}${startedAt.getTime().toString(36)}`;
}

export async function dropAbandonedRunDatabases(adminUrl: string, now: Date, log: (line: string) => void): Promise<void> {
  const { rows } = await withClient(adminUrl, (client) => client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${RUN_DATABASE_PREFIX}%`]));
  for (const { datname } of rows) {
    const started = RUN_DATABASE_PATTERN.exec(datname)?.[1];
    if (started === undefined || now.getTime() - parseInt(started, 36) < ABANDONED_AFTER_MS) continue;
    log(`dropping ${datname}, left by a run that did not finish`);
    await dropDatabase(adminUrl, datname);
  }
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function assertRunDatabase(name: string): void {
  if (!new RegExp(`^${RUN_DATABASE_PREFIX}[a-z0-9_]+$`).test(name)) {
    throw new Error(`refusing to create or drop ${name}: a benchmark run only touches databases named ${RUN_DATABASE_PREFIX}*`);
  }
}

/** An empty database, migrated to the latest schema as the server would migrate it. */
export async function createMigratedDatabase(adminUrl: string, name: string): Promise<string> {
  assertRunDatabase(name);
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(adminUrl, name);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return url;
}

/**
 * A copy of `template` (the seeded ledger), so the run can write to it. FILE_COPY copies the files
 * after a checkpoint instead of writing the whole ledger to the WAL, which would otherwise set off
 * checkpoints in the middle of the measurements. Waits while another session holds the template.
 */
export async function copyDatabase(adminUrl: string, template: string, name: string, log: (line: string) => void): Promise<string> {
  assertRunDatabase(name);
  const deadline = Date.now() + TEMPLATE_BUSY_WAIT_MS;
  for (;;) {
    try {
      await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${pg.escapeIdentifier(template)} STRATEGY FILE_COPY`));
      return databaseUrl(adminUrl, name);
    } catch (error) {
      const busy = (error as { code?: string }).code === OBJECT_IN_USE;
      if (!busy || Date.now() > deadline) throw error;
      log(`${template} is in use by another session; retrying the copy in ${TEMPLATE_BUSY_RETRY_MS / 1000} s`);
      await sleep(TEMPLATE_BUSY_RETRY_MS);
    }
  }
}

/** Runs one statement (CREATE/DROP DATABASE) on its own connection to `adminUrl`. */
export async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  await withClient(adminUrl, (client) => client.query(statement));
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  assertRunDatabase(name);
  await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/**
 * Flushes dirty pages now, so that a checkpoint owed to the setup's writes does not land in the
 * middle of a measurement.
 */
export async function checkpoint(adminUrl: string): Promise<void> {
  await withClient(adminUrl, (client) => client.query('CHECKPOINT'));
}
