import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type LedgerContext, pingDatabase, sealPendingEntries, startPayoutWorker } from '@restaurant-ledger/core';
import { CompiledQuery } from 'kysely';
import { createTestDatabase, DOMAIN_EXAMPLE_EVENT, type TestDatabase } from '@restaurant-ledger/core/testing';
import { type Logger, pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { createApiKeyCheck, createInternalIngestCheck, createWebhookCheck } from '../../src/auth.ts';
import { EDGE_LIMITS_DEFAULT, type EdgeLimits, type RateLimits } from '../../src/edge-limits.ts';
import { createApp } from '../../src/http/app.ts';
import { answerClientErrorsInEnvelope } from '../../src/http/client-errors.ts';
import { createMetrics, type LedgerMetrics } from '../../src/metrics.ts';

export interface TestServer {
  url: string;
  testDb: TestDatabase;
  ledger: LedgerContext;
  metrics: LedgerMetrics;
  close(): Promise<void>;
}

/** Rate limits off unless a test sets them: other suites send far more than a client would. */
const NO_RATE_LIMITS: RateLimits = { ...EDGE_LIMITS_DEFAULT.rateLimits, perApiKey: 0, perIp: 0, webhookPerIp: 0 };

export interface TestServerOptions {
  apiKeys?: string[];
  webhookSecrets?: string[];
  /** Use this database instead of a fresh one (the caller closes it). */
  testDb?: TestDatabase;
  ledger?: Partial<LedgerContext>;
  poolSize?: number;
  /** Run a payout worker beside the app (default true), polling every 50 ms. */
  payoutWorker?: boolean;
  /** Edge limits; by default the production defaults with rate limits off. */
  limits?: Partial<Omit<EdgeLimits, 'rateLimits'>> & { rateLimits?: Partial<RateLimits> };
  /** Default: silent (or TEST_LOG_LEVEL). */
  logger?: Logger;
  /** Whether the server is shutting down (/ready answers 503). */
  isDraining?: () => boolean;
  /** Serve the hot routes from node:http ahead of express (default true, as the server does). */
  hotEdge?: boolean;
  /** Express's `trust proxy` (default off, as the server's). */
  trustProxy?: boolean | number | string;
}

/** The real HTTP app on a free port, over a fresh test database. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const ownDb = options.testDb === undefined;
  const testDb = options.testDb ?? (await createTestDatabase({ poolSize: options.poolSize ?? 10 }));
  const ledger: LedgerContext = { ...testDb.context(), ...options.ledger };
  const metrics = createMetrics(() => ({ max: 0, inUse: 0, idle: 0, waiting: 0 }));
  const worker =
    options.payoutWorker === false
      ? undefined
      : startPayoutWorker(ledger, { owner: `test-${process.pid}`, pollIntervalMs: 50, batchSize: 3, onRunSettled: metrics.payoutRunSettled });
  const app = createApp({
    ledger,
    checks: {
      checkApiKey: createApiKeyCheck(options.apiKeys ?? []),
      checkWebhookSignature: createWebhookCheck(options.webhookSecrets ?? []),
      checkInternalIngest: createInternalIngestCheck(options.apiKeys ?? [], options.webhookSecrets ?? []),
      wakePayoutWorker: () => worker?.wake(),
      metrics,
    },
    limits: { ...EDGE_LIMITS_DEFAULT, ...options.limits, rateLimits: { ...NO_RATE_LIMITS, ...options.limits?.rateLimits } },
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    isDatabaseReachable: async () => {
      await pingDatabase(ledger.db);
      return true;
    },
    ...(options.isDraining !== undefined && { isDraining: options.isDraining }),
    ...(options.hotEdge !== undefined && { hotEdge: options.hotEdge }),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = createServer(app.listener).listen(0, '127.0.0.1', () => resolve(listening));
    answerClientErrorsInEnvelope(listening, pino({ level: 'silent' }));
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    testDb,
    ledger,
    metrics,
    close: async () => {
      await worker?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDb) await testDb.close();
    },
  };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  // Bodies are asserted field by field in tests; a loose type keeps those assertions short.
  body: Record<string, any>;
}

export async function request(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const hasBody = init.body !== undefined || init.rawBody !== undefined;
  const response = await fetch(url, {
    method: init.method ?? (hasBody ? 'POST' : 'GET'),
    headers: { ...(hasBody && { 'content-type': 'application/json' }), ...init.headers },
    body: init.rawBody ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) };
}

/** The docs/ledger.md example body. */
export const EXAMPLE_EVENT = DOMAIN_EXAMPLE_EVENT;

/** A fresh Standard Webhooks secret. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** Standard Webhooks headers signing `body` with `secret`, as a processor sends them. */
export function signedHeaders(body: string, secret: string, options: { at?: Date; id?: string } = {}): Record<string, string> {
  const at = options.at ?? new Date();
  const id = options.id ?? `msg_${randomBytes(6).toString('hex')}`;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

/** Seals every entry recorded so far into the hash chain (a test server runs no sealer of its own). */
export async function sealLedger(server: TestServer, blockSize?: number): Promise<void> {
  await sealPendingEntries(server.ledger, blockSize === undefined ? {} : { blockSize });
}

/** Runs `statement` as a superuser around the ledger's triggers (replica mode): damage only tamper evidence finds. */
export async function tamperAsSuperuser(server: TestServer, statement: string): Promise<void> {
  await server.testDb.db.transaction().execute(async (trx) => {
    await trx.executeQuery(CompiledQuery.raw('SET LOCAL session_replication_role = replica'));
    await trx.executeQuery(CompiledQuery.raw(statement));
  });
}
