import { createRestaurant, ingestEvent, type LedgerContext } from '@restaurant-ledger/core';
import { chargeEvent, createTestDatabase, type TestDatabase } from '@restaurant-ledger/core/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, pollUntil, type ServerProcess, sleep, startServerProcess } from './support/server-process.ts';
import { request } from './support/test-server.ts';

/**
 * The payout scheduler in the real server process (`node --import tsx src/main.ts`), two of them
 * on one database as two servers would be, then stopped, killed and restarted: each scheduled run
 * is created once, and a restarted server creates today's runs it had not created yet.
 */
const SCHEDULE_ENV = { LEDGER_PAYOUT_SCHEDULE_INTERVAL_MS: '200', LEDGER_PAYOUT_POLL_MS: '50' };
const TODAY = new Date().toISOString().slice(0, 10);

let testDb: TestDatabase;
let ctx: LedgerContext;
const children = new Set<ServerProcess>();

async function startServer(): Promise<ServerProcess> {
  if (testDb.url === undefined) throw new Error('these tests spawn the server on PostgreSQL and need its URL');
  const server = await startServerProcess({ port: await freePort(), databaseUrl: testDb.url, env: SCHEDULE_ENV });
  children.add(server);
  void server.exited.then(() => children.delete(server));
  return server;
}

/** A restaurant paid daily, with a matured charge in each currency. */
async function dailyRestaurant(restaurantId: string, currencies: readonly string[]): Promise<void> {
  await createRestaurant(ctx, { restaurant_id: restaurantId, maturity_days: 0, payout_schedule: { kind: 'daily' } });
  for (const currency of currencies) {
    const event = chargeEvent({ event_id: `evt_${restaurantId}_${currency}`, restaurant_id: restaurantId, currency, occurred_at: '2026-01-05T10:00:00Z', amount: 4000, fee: 100 });
    await ingestEvent(ctx, event, {});
  }
}

async function scheduledRuns(): Promise<Array<{ restaurant_id: string; currency: string; scheduled_date: string; status: string }>> {
  const { rows } = await sql<{ restaurant_id: string; currency: string; scheduled_date: string; status: string }>`
    SELECT restaurant_id, currency, to_char(scheduled_date, 'YYYY-MM-DD') AS scheduled_date, status
    FROM payout_runs WHERE trigger = 'schedule' ORDER BY restaurant_id, currency`.execute(testDb.db);
  return rows;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context();
});

afterAll(async () => {
  await Promise.all([...children].map((server) => server.kill('SIGKILL')));
  await testDb?.close();
}, 30_000);

describe('the payout scheduler in two server processes', () => {
  it('creates each due run once, pays it, stops cleanly on SIGTERM, and a restarted server catches up on today', { timeout: 90_000 }, async () => {
    await dailyRestaurant('res_proc_a', ['PEN', 'USD']);
    const [one, two] = await Promise.all([startServer(), startServer()]);
    if (one === undefined || two === undefined) throw new Error('two servers');
    await pollUntil('both scheduled runs completed', 20_000, async () => {
      const runs = await scheduledRuns();
      return runs.length === 2 && runs.every((run) => run.status === 'completed') ? runs : undefined;
    });
    await sleep(1_000); // several more ticks on both servers
    expect(await scheduledRuns()).toEqual([
      { restaurant_id: 'res_proc_a', currency: 'PEN', scheduled_date: TODAY, status: 'completed' },
      { restaurant_id: 'res_proc_a', currency: 'USD', scheduled_date: TODAY, status: 'completed' },
    ]);
    const listed = await request(`${one.url}/v1/payouts/runs?trigger=schedule&scheduled_date=${TODAY}`);
    expect(listed.body.data.items.map((run: { restaurant_id: string; currency: string; created: number }) => [run.restaurant_id, run.currency, run.created])).toEqual([
      ['res_proc_a', 'PEN', 1],
      ['res_proc_a', 'USD', 1],
    ]);
    const payouts = await request(`${two.url}/v1/payouts?restaurant_id=res_proc_a`);
    // By currency: the two runs may be worked at once by the two servers, and payouts are listed by id.
    const byCurrency = payouts.body.data.items.map((p: { currency: string; amount: number; as_of: string }) => [p.currency, p.amount, p.as_of]).sort();
    expect(byCurrency).toEqual([
      ['PEN', 3900, TODAY],
      ['USD', 3900, TODAY],
    ]);

    await one.kill('SIGTERM');
    expect(await one.exited).toEqual({ code: 0, signal: null });
    await two.kill('SIGKILL');

    // While no server runs, another restaurant becomes due today; a server started now creates its run.
    await dailyRestaurant('res_proc_b', ['PEN']);
    await startServer();
    await pollUntil('the restarted server created today\'s new run', 20_000, async () => {
      const runs = await scheduledRuns();
      return runs.some((run) => run.restaurant_id === 'res_proc_b' && run.status === 'completed') ? runs : undefined;
    });
    expect((await scheduledRuns()).map((run) => `${run.restaurant_id}/${run.currency}/${run.scheduled_date}`)).toEqual([
      `res_proc_a/PEN/${TODAY}`,
      `res_proc_a/USD/${TODAY}`,
      `res_proc_b/PEN/${TODAY}`,
    ]);
  });
});
