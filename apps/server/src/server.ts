import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type LedgerContext,
  migrateToLatest,
  openDatabase,
  pingDatabase,
  startBalanceCheckpointer,
  startLedgerSealer,
  startOutboundDeliverer,
  startPayoutScheduler,
  startPayoutWorker,
  systemClock,
} from '@restaurant-ledger/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createApiKeyCheck, createInternalIngestCheck, createWebhookCheck } from './auth.ts';
import type { ServerConfig } from './config.ts';
import { answerClientErrorsInEnvelope } from './http/client-errors.ts';
import { createApp } from './http/app.ts';
import { createMetrics } from './metrics.ts';

/** How often a draining server closes connections that went idle (keep-alive) since the last look. */
const DRAIN_SWEEP_INTERVAL_MS = 100;

export interface RunningServer {
  server: Server;
  /** The port actually bound (useful with PORT=0). */
  port: number;
  /**
   * Graceful shutdown: stops accepting connections (and /ready answers 503), lets requests in
   * flight finish for up to `shutdownTimeoutMs` and then closes their connections, stops the payout
   * scheduler and the ledger sealer after their looks in progress, lets the payout worker finish its batch and requeue its
   * run, interrupts the outbound deliveries in flight (due again at once), and closes the pool. Resolves when all is closed.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Bring the schema up to date first (default true); a cluster's workers leave it to the primary. */
  migrate?: boolean;
  /**
   * Called once with the metrics registry; returns what /metrics answers (default: this process's
   * metrics). A cluster worker hands its registry to the primary and answers every worker's sum.
   */
  shareMetrics?: (registry: Registry) => () => Promise<string>;
}

/** Opens the database, migrates it, and serves HTTP until close(). */
export async function startServer(config: ServerConfig, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const database = await openDatabase(config.database);
  if (options.migrate !== false) await migrateToLatest(database.db);
  const base: LedgerContext = { db: database.db, clock: systemClock, defaultMaturityDays: config.defaultMaturityDays };
  const checkpointer = startBalanceCheckpointer(base, {
    onError: (error) => logger.warn({ err: error }, 'balance checkpoint not written; balances stay exact, a later read asks again'),
  });
  const ledger: LedgerContext = {
    ...base,
    balanceCheckpoints: checkpointer,
    checkpointAfterEntries: config.checkpointAfterEntries,
    outbound: config.outbound,
  };
  const metrics = createMetrics(database.poolStats, options.shareMetrics === undefined ? {} : { share: options.shareMetrics });
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const worker = startPayoutWorker(ledger, {
    owner,
    ...config.payouts,
    onError: (error) => logger.error({ err: error }, 'payout run failed'),
    onRunSettled: metrics.payoutRunSettled,
  });
  const scheduler = startPayoutScheduler(ledger, {
    intervalMs: config.payoutScheduleIntervalMs,
    onTick: (tick) => {
      if (tick.created.length === 0) return;
      logger.info({ scheduled_date: tick.scheduled_date, runs: tick.created }, 'scheduled payout runs queued');
      worker.wake();
    },
    onError: (error) => logger.error({ err: error }, 'payout scheduler could not look for due runs; it tries again at its next tick'),
  });
  const sealer =
    config.sealing.intervalMs === 0
      ? undefined
      : startLedgerSealer(base, {
          intervalMs: config.sealing.intervalMs,
          blockSize: config.sealing.blockSize,
          onError: (error) => logger.warn({ err: error }, 'ledger seal look failed; the next look seals what is waiting'),
        });
  const deliverer = startOutboundDeliverer(ledger, {
    owner,
    pollIntervalMs: config.outbound.pollIntervalMs,
    onError: (error) => logger.error({ err: error }, 'outbound events: a pass failed; nothing is lost, the next pass tries again'),
  });
  let draining = false;
  const app = createApp({
    ledger,
    checks: {
      checkApiKey: createApiKeyCheck(config.apiKeys),
      checkWebhookSignature: createWebhookCheck(config.webhookSecrets),
      checkInternalIngest: createInternalIngestCheck(config.apiKeys, config.webhookSecrets),
      wakePayoutWorker: worker.wake,
      wakeOutboundDeliverer: deliverer.wake,
      metrics,
    },
    logger,
    limits: config.limits,
    trustProxy: config.trustProxy,
    isDatabaseReachable: async () => {
      await pingDatabase(database.db);
      return true;
    },
    isDraining: () => draining,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = createServer(app.listener);
    // As express's app.listen: a failure to listen rejects, and later 'error' events are not fatal.
    listening.once('error', reject);
    listening.listen(config.port, () => resolve(listening));
    answerClientErrorsInEnvelope(listening, logger);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ port, database: database.kind }, 'restaurant-ledger listening');
  return {
    server,
    port,
    close: async () => {
      draining = true;
      await Promise.all([drainHttp(server, config.shutdownTimeoutMs, logger), scheduler.stop(), worker.stop(), deliverer.stop(), checkpointer.stop(), sealer?.stop()]);
      await database.close();
    },
  };
}

/**
 * Stops accepting connections and waits for the requests in flight. Keep-alive connections are
 * closed as soon as they are idle; whatever is still open at the deadline is closed.
 */
async function drainHttp(server: Server, timeoutMs: number, logger: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), DRAIN_SWEEP_INTERVAL_MS);
  const deadline = setTimeout(() => {
    logger.warn({ timeout_ms: timeoutMs }, 'shutdown deadline reached: closing connections still in flight');
    server.closeAllConnections();
  }, timeoutMs);
  server.closeIdleConnections();
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}
