import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { Database } from '../../src/db/database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A server the tests may create databases on. */
    adminDatabaseUrl: string;
    /** A migrated database each test file clones into a fresh one of its own. */
    templateDatabase: string;
  }
}

/**
 * Finds a PostgreSQL for the run: TEST_DATABASE_URL when set, else a testcontainers PostgreSQL when
 * a Docker engine answers. Migrates one template database; each test file clones it (CREATE
 * DATABASE … TEMPLATE), which is far faster than migrating per file and keeps files isolated.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { url, stop } = await findPostgres();
  const templateDatabase = `ledger_tpl_${randomBytes(6).toString('hex')}`;
  await adminQuery(url, `CREATE DATABASE ${templateDatabase}`);
  const templateDb = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: withDatabase(url, templateDatabase), max: 1 }) }),
  });
  try {
    await migrateToLatest(templateDb);
  } finally {
    await templateDb.destroy();
  }
  project.provide('adminDatabaseUrl', url);
  project.provide('templateDatabase', templateDatabase);
  return async () => {
    await adminQuery(url, `DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
    await stop();
  };
}

async function findPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv, stop: async () => {} };
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (cause) {
    throw new Error(
      'The tests need a real PostgreSQL. Set TEST_DATABASE_URL (for example ' +
        'postgres://postgres@127.0.0.1:5432/postgres) or start a Docker engine for testcontainers.',
      { cause },
    );
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:16-alpine').start();
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
