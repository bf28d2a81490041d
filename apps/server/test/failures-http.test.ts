import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@restaurant-ledger/core/testing';
import { type Database, type LedgerDb, openDatabase } from '@restaurant-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_EVENT, request, startTestServer } from './support/test-server.ts';

let broken: TestDatabase;
beforeAll(async () => {
  broken = await createTestDatabase();
});
afterAll(() => broken.close());

describe('when things go wrong inside', () => {
  it('answers an unexpected database error with 500 INTERNAL_ERROR and leaks nothing', async () => {
    await sql`DROP TABLE ledger_entries CASCADE`.execute(broken.db);
    const server = await startTestServer({ testDb: broken });
    try {
      const response = await request(`${server.url}/v1/processor/events`, { body: EXAMPLE_EVENT });
      expect(response.status).toBe(500);
      expect(response.body.error).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal error', details: {} });
      expect(JSON.stringify(response.body)).not.toMatch(/ledger_entries|relation|stack|at /);
    } finally {
      await server.close();
    }
  });

  it('keeps one restaurant whose sums pass 2^53-1 from stopping payouts and reports for everyone else', async () => {
    const server = await startTestServer();
    const post = (body: Record<string, unknown>) => request(`${server.url}/v1/processor/events`, { body: { ...EXAMPLE_EVENT, ...body } });
    try {
      // Two legal events whose sum JSON cannot carry, beside an ordinary restaurant.
      for (const eventId of ['evt_max_1', 'evt_max_2']) {
        expect((await post({ event_id: eventId, restaurant_id: 'res_huge', amount: Number.MAX_SAFE_INTEGER, fee: 0 })).status).toBe(201);
      }
      expect((await post({ event_id: 'evt_small', restaurant_id: 'res_small', amount: 5000, fee: 0 })).status).toBe(201);

      const balance = await request(`${server.url}/v1/restaurants/res_huge/balance?currency=PEN`);
      expect(balance.status).toBe(409);
      expect(balance.body.error).toMatchObject({ code: 'AMOUNT_OUT_OF_RANGE', details: { limit: Number.MAX_SAFE_INTEGER } });

      const q1 = await request(`${server.url}/v1/reports/balances?currency=PEN`);
      expect(q1.body.data.items).toEqual([expect.objectContaining({ restaurant_id: 'res_small', available: 5000 })]);
      const q4 = await request(`${server.url}/v1/reports/integrity`);
      expect(q4.body.data.items).toEqual([
        expect.objectContaining({ reason: 'BALANCE_OUT_OF_RANGE', detail: expect.stringMatching(/^res_huge PEN: entries sum to 18014398509481982 /) }),
      ]);

      const run = await request(`${server.url}/v1/payouts/run`, { body: { currency: 'PEN', as_of: new Date().toISOString().slice(0, 10) } });
      let status = run.body.data;
      for (let i = 0; i < 100 && status.status !== 'completed' && status.status !== 'failed'; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await request(`${server.url}/v1/payouts/runs/${run.body.data.run_id}`)).body.data;
      }
      expect(status).toMatchObject({ status: 'completed', created: 1, skipped: { amount_out_of_range: 1 } });
      const paid = await request(`${server.url}/v1/payouts?currency=PEN`);
      expect(paid.body.data.items).toEqual([expect.objectContaining({ restaurant_id: 'res_small', amount: 5000 })]);
    } finally {
      await server.close();
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE, and /ready 503, while the database cannot be reached', async () => {
    // A pool aimed at a port nothing listens on: every query fails to connect.
    const unreachable = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 }),
      }),
    });
    const server = await startTestServer({ ledger: { db: unreachable } });
    try {
      const started = Date.now();
      const event = await request(`${server.url}/v1/processor/events`, { body: EXAMPLE_EVENT });
      expect(event.status).toBe(503);
      expect(event.body.error.code).toBe('SERVICE_UNAVAILABLE');
      const ready = await request(`${server.url}/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect((await request(`${server.url}/health`)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await server.close();
      await unreachable.destroy();
    }
  });

  it.each([
    ['statement_timeout (57014), set by LEDGER_DB_STATEMENT_TIMEOUT_MS', 'statement'],
    ['lock_timeout (55P03)', 'lock'],
  ] as const)('answers 503 database_timeout with Retry-After when %s cancels a write waiting on a lock, and writes nothing', async (_name, which) => {
    const testDb = await createTestDatabase();
    const url = testDb.url;
    if (url === undefined) throw new Error('needs PostgreSQL');
    const { db, close } =
      which === 'statement'
        ? await openDatabase({ kind: 'postgres', url, statementTimeoutMs: 300 })
        : lockTimeoutDatabase(url, 300);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    const server = await startTestServer({ testDb, ledger: { db }, payoutWorker: false });
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE processor_events IN SHARE MODE');
      const blocked = await request(`${server.url}/v1/processor/events`, { body: EXAMPLE_EVENT });
      expect(blocked.status).toBe(503);
      expect(blocked.headers.get('retry-after')).toBe('1');
      expect(blocked.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'database_timeout' } });
      await holder.query('ROLLBACK');
      // 201, not an idempotent 200: the cancelled attempt left nothing behind.
      expect((await request(`${server.url}/v1/processor/events`, { body: EXAMPLE_EVENT })).status).toBe(201);
    } finally {
      await server.close();
      await holder.end();
      await close();
      await testDb.close();
    }
  });
});

/** A pool whose sessions give up waiting for a lock after `ms` (the server itself sets only statement_timeout). */
function lockTimeoutDatabase(url: string, ms: number): { db: LedgerDb; close(): Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, options: `-c TimeZone=UTC -c lock_timeout=${ms}` });
  const db: LedgerDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, close: () => db.destroy() };
}
