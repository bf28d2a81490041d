import { createServer, type Server, type Socket, connect } from 'node:net';
import { openDatabase, type OpenDatabase } from '@restaurant-ledger/core';
import { createTestDatabase, type TestDatabase } from '@restaurant-ledger/core/testing';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { toLedgerError } from '../src/errors.ts';
import { createMetrics } from '../src/metrics.ts';
import { startServer } from '../src/server.ts';
import { request } from './support/test-server.ts';

let testDb: TestDatabase;
const opened: OpenDatabase[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase({ poolSize: 1 });
});
afterAll(async () => {
  await Promise.all(opened.map((database) => database.close()));
  await testDb.close();
});

/** The server's own pool (as `pnpm start` opens it) on this file's database, with these settings. */
async function serverPool(env: Record<string, string>): Promise<OpenDatabase> {
  const { config } = loadConfig({ DATABASE_URL: testDb.url ?? '', ...env });
  const database = await openDatabase(config.database);
  opened.push(database);
  return database;
}

describe('the connection pool', () => {
  it(`opens at most LEDGER_DB_POOL_MAX connections; the rest wait, and the metrics show both`, async () => {
    const database = await serverPool({ LEDGER_DB_POOL_MAX: '2' });
    const metrics = createMetrics(database.poolStats);
    const sleeping = Array.from({ length: 5 }, () => sql`SELECT pg_sleep(1)`.execute(database.db));
    // Connecting takes a moment on a busy machine; the sleeps leave ample time to look.
    for (let i = 0; i < 40 && database.poolStats().inUse < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(database.poolStats()).toEqual({ max: 2, inUse: 2, idle: 0, waiting: 3 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('ledger_db_pool_connections{state="in_use"} 2');
    expect(text).toContain('ledger_db_pool_connections{state="waiting"} 3');
    await Promise.all(sleeping);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'restaurant-ledger' AND datname = current_database()`.execute(
      database.db,
    );
    expect(rows[0]?.n).toBeLessThanOrEqual(2);
  });

  it('cancels a statement that runs past LEDGER_DB_STATEMENT_TIMEOUT_MS, answered as 503 SERVICE_UNAVAILABLE', async () => {
    const database = await serverPool({ LEDGER_DB_STATEMENT_TIMEOUT_MS: '200' });
    const { rows } = await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(database.db);
    expect(rows[0]?.statement_timeout).toBe('200ms');
    const started = Date.now();
    const error = await sql`SELECT pg_sleep(5)`.execute(database.db).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((error as { code?: string }).code).toBe('57014');
    expect(toLedgerError(error)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'database_timeout' } });
  });

  it('gives up a lock wait after LEDGER_DB_LOCK_TIMEOUT_MS, well before the statement timeout, answered as 503 SERVICE_UNAVAILABLE', async () => {
    const database = await serverPool({ LEDGER_DB_LOCK_TIMEOUT_MS: '200', LEDGER_DB_STATEMENT_TIMEOUT_MS: '60000' });
    const { rows } = await sql<{ lock_timeout: string }>`SHOW lock_timeout`.execute(database.db);
    expect(rows[0]?.lock_timeout).toBe('200ms');
    await sql`INSERT INTO restaurants (id, maturity_days) VALUES ('res_locked', 7) ON CONFLICT DO NOTHING`.execute(testDb.db);
    // Another transaction holds the row, as a payout batch or an update would.
    const error = await testDb.db.transaction().execute(async (trx) => {
      await sql`SELECT id FROM restaurants WHERE id = 'res_locked' FOR UPDATE`.execute(trx);
      const started = Date.now();
      const failed = await sql`UPDATE restaurants SET name = 'x' WHERE id = 'res_locked'`.execute(database.db).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(3_000);
      return failed;
    });
    expect((error as { code?: string }).code).toBe('55P03');
    expect(toLedgerError(error)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'database_timeout' } });
  });

  it('stops waiting for a query after LEDGER_DB_QUERY_TIMEOUT_MS by its own clock (503 database_timeout) and never reuses that connection', async () => {
    // A statement timeout far beyond the query timeout stands in for a server that cannot cancel anything.
    const database = await serverPool({ LEDGER_DB_POOL_MAX: '1', LEDGER_DB_STATEMENT_TIMEOUT_MS: '60000', LEDGER_DB_QUERY_TIMEOUT_MS: '300' });
    const before = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(database.db);
    const started = Date.now();
    const error = await sql`SELECT pg_sleep(5)`.execute(database.db).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(toLedgerError(error)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'database_timeout' } });
    // The only pooled connection was ended: the next query runs at once, on a new backend.
    const after = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(database.db);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(after.rows[0]?.pid).not.toBe(before.rows[0]?.pid);
  });
});

/** A TCP proxy to PostgreSQL that a test can cut and restore, as a network partition would. */
class DatabaseLink {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address === 'object' && address !== null) this.port = address.port;
  }

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

describe('GET /ready', () => {
  it('answers 503 while the database is unreachable and 200 again by itself once it is back', async () => {
    const target = new URL(testDb.url ?? '');
    const link = new DatabaseLink({ host: target.hostname, port: Number(target.port || 5432) });
    await link.up();
    const viaLink = new URL(target);
    viaLink.port = String(link.port);
    const { config } = loadConfig({ PORT: '0', DATABASE_URL: viaLink.toString(), LEDGER_READY_TIMEOUT_MS: '1000' });
    const running = await startServer(config, pino({ level: 'silent' }));
    const ready = async () => (await request(`http://127.0.0.1:${running.port}/ready`)).status;
    try {
      expect(await ready()).toBe(200);
      await link.down();
      expect(await ready()).toBe(503);
      expect(await ready()).toBe(503);
      await link.up();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i += 1) {
        status = await ready();
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
    } finally {
      await running.close();
      await link.down();
    }
  });
});
