import { ingestEvent } from '@restaurant-ledger/core';
import { chargeEvent, createTestDatabase, settlementLinks, type TestDatabase } from '@restaurant-ledger/core/testing';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settlementProblems, startRun, waitUntilCompleted, waitUntilPartlyDone } from './support/payout-runs.ts';
import { freePort, type ServerProcess, sleep, startServerProcess } from './support/server-process.ts';
import { request } from './support/test-server.ts';

/**
 * The real process (`node --import tsx src/main.ts`) killed in the middle of a payout run. With a
 * batch of one restaurant per transaction and a 1 s lease, a run over 150 restaurants takes long
 * enough to be caught half done, and a restarted server takes it over once the lease expires.
 */
const RESTAURANTS = 150;
const restaurantIds = Array.from({ length: RESTAURANTS }, (_, i) => `res_crash_${String(i).padStart(3, '0')}`);

let testDb: TestDatabase;
let port: number;
const children = new Set<ServerProcess>();

/** The server with one restaurant per payout batch and a 1 s lease, tracked so afterEach can kill it. */
async function startServer(): Promise<ServerProcess> {
  if (testDb.url === undefined) throw new Error('these tests spawn the server on PostgreSQL and need its URL');
  const server = await startServerProcess({
    port,
    databaseUrl: testDb.url,
    env: { LEDGER_PAYOUT_BATCH_SIZE: '1', LEDGER_PAYOUT_LEASE_MS: '1000', LEDGER_PAYOUT_POLL_MS: '50' },
  });
  children.add(server);
  void server.exited.then(() => children.delete(server));
  return server;
}

interface RunRow {
  status: string;
  created_count: number;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  payouts: number;
}

/** The run as the database has it, with the payouts it created (committed with its counters). */
async function runRow(runId: string): Promise<RunRow> {
  const { rows } = await sql<RunRow>`
    SELECT r.status, r.created_count, r.attempts, r.lease_owner, r.lease_expires_at,
      (SELECT count(*)::int FROM payouts p WHERE p.run_id = r.id) AS payouts
    FROM payout_runs r WHERE r.id = ${runId}::bigint`.execute(testDb.db);
  const row = rows[0];
  if (row === undefined) throw new Error(`run ${runId} is not in the database`);
  return row;
}

/** The invariants after a run over every restaurant in `currency` finished, whatever happened on the way. */
async function expectEveryRestaurantPaidOnce(server: ServerProcess, currency: string): Promise<void> {
  const { rows: counts } = await sql<{ payouts: number; restaurants: number; amount: string }>`
    SELECT count(*)::int AS payouts, count(DISTINCT restaurant_id)::int AS restaurants, COALESCE(SUM(amount_minor), 0)::text AS amount
    FROM payouts WHERE currency = ${currency}`.execute(testDb.db);
  expect(counts[0]).toEqual({ payouts: RESTAURANTS, restaurants: RESTAURANTS, amount: String(RESTAURANTS * 9_700) });

  // Each payout settles its own -amount entry and entries summing to +amount, and no entry twice.
  expect(await settlementProblems(testDb.db, currency)).toEqual({ unbalanced: [], settledTwice: [] });

  // Every entry of the currency (sales, fees and the payouts' own) is settled exactly once.
  const { rows: unsettled } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM ledger_entries le
    WHERE le.currency = ${currency} AND NOT EXISTS (SELECT 1 FROM (${settlementLinks}) s WHERE s.ledger_entry_id = le.id)`.execute(testDb.db);
  expect(unsettled[0]?.n).toBe(0);

  const balances: number[] = [];
  for (let i = 0; i < restaurantIds.length; i += 10) {
    const batch = await Promise.all(
      restaurantIds.slice(i, i + 10).map((id) => request(`${server.url}/v1/restaurants/${id}/balance?currency=${currency}`)),
    );
    balances.push(...batch.map((response) => response.body.data.available as number));
  }
  expect(balances).toEqual(restaurantIds.map(() => 0));
}

beforeAll(async () => {
  testDb = await createTestDatabase({ poolSize: 10 });
  if (testDb.url === undefined) throw new Error('these tests spawn the server on PostgreSQL and need its URL');
  port = await freePort();
  // One matured charge (10000 - 300 fee) per restaurant in each currency, 10 at a time.
  const ctx = testDb.context();
  const events = ['PEN', 'USD'].flatMap((currency) =>
    restaurantIds.map((restaurant_id) =>
      chargeEvent({ event_id: `evt_crash_${currency}_${restaurant_id}`, restaurant_id, currency, occurred_at: '2025-12-01T10:00:00Z', amount: 10_000, fee: 300, metadata: {} }),
    ),
  );
  for (let i = 0; i < events.length; i += 10) {
    await Promise.all(events.slice(i, i + 10).map((event) => ingestEvent(ctx, event, {})));
  }
}, 30_000);

afterEach(async () => {
  await Promise.all([...children].map((server) => server.kill('SIGKILL')));
});

afterAll(async () => {
  await Promise.all([...children].map((server) => server.kill('SIGKILL')));
  await testDb?.close();
}, 30_000);

describe('a payout run in the real server process', () => {
  it('survives SIGKILL part way through: a restarted server finishes it with one payout per restaurant and counters that add up', { timeout: 35_000 }, async () => {
    const first = await startServer();
    const runId = await startRun(first.url, { currency: 'PEN', as_of: '2026-01-01' });
    const seen = await waitUntilPartlyDone(first.url, runId, 30);
    expect(seen.created).toBeGreaterThan(0);

    const killedAt = performance.now();
    await first.kill('SIGKILL');
    const interrupted = await runRow(runId);
    expect(interrupted.status).toBe('running');
    expect(interrupted.lease_owner).not.toBeNull();
    expect(interrupted.created_count).toBeGreaterThanOrEqual(seen.created);
    expect(interrupted.created_count).toBeLessThan(RESTAURANTS);
    // Counters are committed with the payouts of their batch: never ahead of or behind them.
    expect(interrupted.payouts).toBe(interrupted.created_count);

    const second = await startServer();
    const healthyMs = Math.round(performance.now() - killedAt);
    const finished = await waitUntilCompleted(second.url, runId, 30_000, second.output);
    const recoveryMs = Math.round(performance.now() - killedAt);
    console.log(
      `payout run ${runId}: SIGKILL after ${interrupted.created_count}/${RESTAURANTS} payouts; restarted server healthy after ` +
        `${healthyMs} ms; run completed ${recoveryMs} ms after the kill (1 s lease expiry and the remaining batches included)`,
    );

    expect(finished).toMatchObject({
      status: 'completed',
      created: RESTAURANTS,
      skipped: { below_min_amount: 0, not_positive: 0, open_payout: 0, already_paid_for_as_of: 0 },
      attempts: 2,
      last_error: null,
    });
    expect(await runRow(runId)).toMatchObject({ status: 'completed', created_count: RESTAURANTS, payouts: RESTAURANTS, lease_owner: null });
    await expectEveryRestaurantPaidOnce(second, 'PEN');
    expect(second.output()).not.toMatch(/"level":50/);
  });

  it('is handed back to the queue on SIGTERM, the process exits 0, and a restart finishes it without paying twice', { timeout: 35_000 }, async () => {
    const first = await startServer();
    const runId = await startRun(first.url, { currency: 'USD', as_of: '2026-01-01' });
    await waitUntilPartlyDone(first.url, runId, 30);

    const termAt = performance.now();
    first.child.kill('SIGTERM');
    const exit = await Promise.race([first.exited, sleep(5_000).then(() => undefined)]);
    expect(exit, `the server did not exit within 5 s of SIGTERM:\n${first.output()}`).toEqual({ code: 0, signal: null });
    const shutdownMs = Math.round(performance.now() - termAt);

    const released = await runRow(runId);
    expect(released).toMatchObject({ status: 'queued', lease_owner: null, lease_expires_at: null });
    expect(released.created_count).toBeGreaterThan(0);
    expect(released.created_count).toBeLessThan(RESTAURANTS);
    expect(released.payouts).toBe(released.created_count);

    const second = await startServer();
    const finished = await waitUntilCompleted(second.url, runId, 30_000, second.output);
    console.log(`payout run ${runId}: SIGTERM exit in ${shutdownMs} ms after ${released.created_count}/${RESTAURANTS} payouts`);
    expect(finished).toMatchObject({ status: 'completed', created: RESTAURANTS, attempts: 2, last_error: null });
    expect((await runRow(runId)).payouts).toBe(RESTAURANTS);
    await expectEveryRestaurantPaidOnce(second, 'USD');
  });
});
