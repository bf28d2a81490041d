import { migrateToLatest, openDatabase } from '@restaurant-ledger/core';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

/** `pnpm db:migrate`: brings the configured database to the latest schema and exits. */
const logger = createLogger();
try {
  const { config } = loadConfig(process.env);
  const database = await openDatabase(config.database);
  try {
    const { results } = await migrateToLatest(database.db);
    for (const result of results ?? []) logger.info({ migration: result.migrationName, status: result.status }, 'migration');
    logger.info({ applied: results?.length ?? 0, database: database.kind }, 'schema is up to date');
  } finally {
    await database.close();
  }
} catch (error) {
  logger.fatal(error instanceof ConfigError ? error.message : { err: error }, 'migration failed');
  process.exitCode = 1;
}
