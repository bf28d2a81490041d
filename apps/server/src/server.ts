import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type LedgerContext, migrateToLatest, openDatabase, pingDatabase, startPayoutWorker, systemClock } from '@restaurant-ledger/core';
import type { Logger } from 'pino';
import { createApiKeyCheck, createInternalIngestCheck, createWebhookCheck } from './auth.ts';
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
  const ledger: LedgerContext = { db: database.db, clock: systemClock, defaultMaturityDays: config.defaultMaturityDays };
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const worker = startPayoutWorker(ledger, {
    owner,
    ...config.payouts,
    onError: (error) => logger.error({ err: error }, 'payout run failed'),
  });
  const app = createApp({
    ledger,
    checks: {
      checkApiKey: createApiKeyCheck(config.apiKeys),
      checkWebhookSignature: createWebhookCheck(config.webhookSecrets),
      checkInternalIngest: createInternalIngestCheck(config.apiKeys, config.webhookSecrets),
      wakePayoutWorker: worker.wake,
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
      // Stop taking HTTP work, let the run in hand finish its batch and go back to the queue, then close the pool.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await worker.stop();
      await closed;
      await database.close();
    },
  };
}
