import type { Server } from 'node:http';
import { migrateToLatest, openDatabase, pingDatabase, systemClock } from '@restaurant-ledger/core';
import type { Logger } from 'pino';
import { createApiKeyCheck, createWebhookCheck } from './auth.ts';
import type { ServerConfig } from './config.ts';
import { createApp } from './http/app.ts';

export interface RunningServer {
  server: Server;
  /** The port actually bound (useful with PORT=0). */
  port: number;
  close(): Promise<void>;
}

/** Opens the database, migrates it, and serves HTTP until close(). */
export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const database = await openDatabase(config.database);
  await migrateToLatest(database.db);
  const app = createApp({
    ledger: { db: database.db, clock: systemClock, defaultMaturityDays: config.defaultMaturityDays },
    checks: {
      checkApiKey: createApiKeyCheck(config.apiKeys),
      checkWebhookSignature: createWebhookCheck(config.webhookSecrets),
    },
    logger,
    isDatabaseReachable: async () => {
      await pingDatabase(database.db);
      return true;
    },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ port, database: database.kind }, 'restaurant-ledger listening');
  return {
    server,
    port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
