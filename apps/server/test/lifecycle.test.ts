import { mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@restaurant-ledger/core';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, SETTINGS } from '../src/config.ts';
import { EDGE_LIMITS_DEFAULT } from '../src/edge-limits.ts';
import { startServer } from '../src/server.ts';
import { EXAMPLE_EVENT, request } from './support/test-server.ts';

const silent = pino({ level: 'silent' });
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-embedded-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the server on its default embedded database', () => {
  it('keeps recorded events across a restart', async () => {
    const { config } = loadConfig({ PORT: '0', LEDGER_DATA_DIR: dataDir });
    expect(config.database).toEqual({ kind: 'embedded', dataDir });

    const first = await startServer(config, silent);
    const url = `http://127.0.0.1:${first.port}`;
    expect((await request(`${url}/v1/processor/events`, { body: EXAMPLE_EVENT })).status).toBe(201);
    await first.close();

    const second = await startServer(config, silent);
    try {
      const again = `http://127.0.0.1:${second.port}`;
      expect((await request(`${again}/v1/processor/events`, { body: EXAMPLE_EVENT })).body.data.idempotent).toBe(true);
      const balance = await request(`${again}/v1/restaurants/res_001/balance?currency=PEN&as_of=2026-01-01`);
      expect(balance.body.data).toMatchObject({ available: 11400, total: 11400 });
    } finally {
      await second.close();
    }
  });
});

describe('the embedded data directory lock', () => {
  it('refuses a second process on the directory while the first runs, naming the lock, and frees it on close', async () => {
    const lockedDir = mkdtempSync(join(tmpdir(), 'ledger-locked-'));
    try {
      const { config } = loadConfig({ PORT: '0', LEDGER_DATA_DIR: lockedDir });
      const first = await startServer(config, silent);
      try {
        await expect(openDatabase({ kind: 'embedded', dataDir: lockedDir, lockWaitMs: 0 })).rejects.toThrow(
          `the embedded database ${lockedDir} is in use by another process (its lock is ${lockedDir}.lock)`,
        );
        expect((await request(`http://127.0.0.1:${first.port}/v1/processor/events`, { body: EXAMPLE_EVENT })).status).toBe(201);
      } finally {
        await first.close();
      }
      const after = await openDatabase({ kind: 'embedded', dataDir: lockedDir, lockWaitMs: 0 });
      await after.close();
    } finally {
      rmSync(lockedDir, { recursive: true, force: true });
      rmSync(`${lockedDir}.lock`, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a process that died once it is stale', async () => {
    const crashedDir = mkdtempSync(join(tmpdir(), 'ledger-crashed-'));
    try {
      mkdirSync(`${crashedDir}.lock`);
      const longAgo = new Date(Date.now() - 60_000);
      utimesSync(`${crashedDir}.lock`, longAgo, longAgo);
      const database = await openDatabase({ kind: 'embedded', dataDir: crashedDir, lockWaitMs: 0 });
      await database.close();
    } finally {
      rmSync(crashedDir, { recursive: true, force: true });
      rmSync(`${crashedDir}.lock`, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  it('uses the documented defaults and warns about the open API and unsigned webhooks', () => {
    const { config, warnings } = loadConfig({ INIT_CWD: '/srv/ledger' });
    expect(config).toMatchObject({
      port: 3000,
      database: { kind: 'embedded', dataDir: '/srv/ledger/.data/ledger' },
      apiKeys: [],
      webhookSecrets: [],
      defaultMaturityDays: 7,
      production: false,
    });
    expect(warnings).toHaveLength(2);
  });

  it('reads comma-separated API keys and webhook secrets for rotation', () => {
    const { config, warnings } = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/ledger',
      LEDGER_API_KEYS: 'a1, b2',
      LEDGER_WEBHOOK_SECRET: 'whsec_QUJD,whsec_REVG',
      LEDGER_MATURITY_DAYS: '3',
    });
    expect(config).toMatchObject({
      database: { kind: 'postgres', url: 'postgres://u@db:5432/ledger' },
      apiKeys: ['a1', 'b2'],
      webhookSecrets: ['whsec_QUJD', 'whsec_REVG'],
      defaultMaturityDays: 3,
    });
    expect(warnings).toEqual([]);
  });

  it('bounds the database pool and its waits: documented defaults, each settable', () => {
    const url = 'postgres://u@db:5432/ledger';
    expect(loadConfig({ DATABASE_URL: url }).config.database).toEqual({
      kind: 'postgres',
      url,
      poolSize: 10,
      connectTimeoutMs: 3_000,
      statementTimeoutMs: 6_000,
      lockTimeoutMs: 5_000,
      preparedStatements: true,
    });
    const tuned = loadConfig({
      DATABASE_URL: url,
      LEDGER_DB_POOL_MAX: '25',
      LEDGER_DB_CONNECT_TIMEOUT_MS: '1500',
      LEDGER_DB_STATEMENT_TIMEOUT_MS: '30000',
      LEDGER_DB_LOCK_TIMEOUT_MS: '2500',
      LEDGER_DB_QUERY_TIMEOUT_MS: '31000',
      LEDGER_DB_PREPARED_STATEMENTS: 'false',
    });
    expect(tuned.config.database).toMatchObject({
      poolSize: 25,
      connectTimeoutMs: 1_500,
      statementTimeoutMs: 30_000,
      lockTimeoutMs: 2_500,
      queryTimeoutMs: 31_000,
      preparedStatements: false,
    });
  });

  it('refuses to start in production without DATABASE_URL, LEDGER_API_KEYS and LEDGER_WEBHOOK_SECRET, naming each', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      new ConfigError(
        'NODE_ENV=production requires DATABASE_URL, LEDGER_API_KEYS, LEDGER_WEBHOOK_SECRET; missing: DATABASE_URL, LEDGER_API_KEYS, LEDGER_WEBHOOK_SECRET',
      ),
    );
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@y/z', LEDGER_API_KEYS: 'k' })).toThrow(
      /missing: LEDGER_WEBHOOK_SECRET$/,
    );
  });

  it('reads every limit from its own variable, with the documented defaults', () => {
    expect(loadConfig({}).config).toMatchObject({ limits: EDGE_LIMITS_DEFAULT, shutdownTimeoutMs: 10_000, trustProxy: false });
    const { config } = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/ledger',
      LEDGER_BODY_LIMIT_BYTES: '2048',
      LEDGER_BATCH_BODY_LIMIT_BYTES: '8192',
      LEDGER_RATE_LIMIT_WINDOW_MS: '1000',
      LEDGER_RATE_LIMIT_PER_KEY: '5',
      LEDGER_RATE_LIMIT_PER_IP: '6',
      LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '0',
      LEDGER_TRUST_PROXY: '1',
      LEDGER_DB_POOL_MAX: '3',
      LEDGER_DB_STATEMENT_TIMEOUT_MS: '500',
      LEDGER_READY_TIMEOUT_MS: '700',
      LEDGER_SHUTDOWN_TIMEOUT_MS: '900',
      LEDGER_RECONCILIATION_BODY_LIMIT_BYTES: '4096',
    });
    expect(config).toMatchObject({
      database: { kind: 'postgres', poolSize: 3, statementTimeoutMs: 500 },
      limits: { bodyBytesMax: 2048, batchBodyBytesMax: 8192, reconciliationBodyBytesMax: 4096, rateLimits: { windowMs: 1000, perApiKey: 5, perIp: 6, webhookPerIp: 0 }, readyTimeoutMs: 700 },
      trustProxy: 1,
      shutdownTimeoutMs: 900,
    });
  });

  it('has every setting it reads documented in the docs/configuration.md table', () => {
    const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const documented = SETTINGS.filter((name) => new RegExp(`^\\| \`${name}\` \\|`, 'm').test(docs));
    expect(documented).toEqual(SETTINGS);
  });

  it.each([
    ['PORT', 'eighty'],
    ['LEDGER_MATURITY_DAYS', '-1'],
    ['LEDGER_WEBHOOK_SECRET', 'not-a-secret'],
    ['DATABASE_URL', 'not a url'],
    ['LEDGER_DB_POOL_MAX', '0'],
    ['LEDGER_RATE_LIMIT_PER_KEY', 'many'],
    ['LEDGER_DB_CONNECT_TIMEOUT_MS', 'soon'],
    // 0 would switch PostgreSQL's statement_timeout off: every wait must stay bounded.
    ['LEDGER_DB_STATEMENT_TIMEOUT_MS', '0'],
    ['LEDGER_DB_PREPARED_STATEMENTS', 'yes'],
  ])('refuses an invalid %s and names it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
