import { type OpenDatabase, openDatabase } from '@restaurant-ledger/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settlementProblems, startRun, waitUntilCompleted, waitUntilPartlyDone } from '../support/payout-runs.ts';
import { pollUntil } from '../support/server-process.ts';
import { DeliveryLog, retryUntilAnswered, runLoad, singleRoute } from './support/deliveries.ts';
import { type FaultRig, startFaultRig } from './support/fault-rig.ts';
import { printFigures } from './support/figures.ts';
import { auditLedger } from './support/ledger-audit.ts';
import { eventStream, type ModelEvent } from './support/ledger-model.ts';

/**
 * Scenario 2: SIGKILL to the server process while clients post events and a payout run is half
 * done. A new process on the same port must find every acknowledged event, finish the run (it
 * takes it over when the dead worker's lease expires) and pay no restaurant twice.
 */
const RESTAURANTS = 120;
const SENDERS = 16;
const ACKNOWLEDGED_BEFORE_KILL = 150;
const ACKNOWLEDGED_AFTER_RESTART = 150;
/** Payouts the run must have made before the kill, so the kill lands in the middle of it. */
const PAYOUTS_BEFORE_KILL = 20;
/** Each seeded restaurant holds one matured charge of 10000 with a fee of 300. */
const SEED_AMOUNT = 10_000;
const SEED_FEE = 300;
const RUN_TIMEOUT_MS = 60_000;
/**
 * One restaurant per payout batch makes the run slow enough to be caught half done; a 1 s lease
 * lets the restarted server take the dead worker's run over quickly.
 */
const CRASH_SERVER_ENV = { LEDGER_PAYOUT_BATCH_SIZE: '1', LEDGER_PAYOUT_LEASE_MS: '1000', LEDGER_PAYOUT_POLL_MS: '50' };

let rig: FaultRig;
let database: OpenDatabase;

const restaurantIds = Array.from({ length: RESTAURANTS }, (_, i) => `res_srvkill_${String(i).padStart(3, '0')}`);
const today = new Date();
const yesterday = new Date(today.getTime() - 86_400_000).toISOString().slice(0, 10);
/** Matured long before the run's cutoff (the end of yesterday). */
const seeds: ModelEvent[] = restaurantIds.map((restaurant_id, i) => ({
  event_id: `evt_srvkill_seed_${i}`,
  event_type: 'charge_succeeded',
  occurred_at: new Date(today.getTime() - 30 * 86_400_000).toISOString(),
  restaurant_id,
  currency: 'PEN',
  amount: SEED_AMOUNT,
  fee: SEED_FEE,
  metadata: { source: 'fault-suite' },
}));
/**
 * The load: new charges to the same restaurants in the same currency. Charges mature after 7
 * days, so none can be available at the run's cutoff: the run must pay exactly the seeds.
 */
const load = eventStream({
  prefix: 'evt_srvkill',
  count: 8_000,
  restaurants: restaurantIds,
  currencies: ['PEN'],
  from: new Date(today.getTime() - 3_600_000),
  stepMs: 100,
  seed: 8_002,
}).filter((event) => event.event_type === 'charge_succeeded');

beforeAll(async () => {
  rig = await startFaultRig({ database: 'ledger_server_crash', connections: SENDERS, env: CRASH_SERVER_ENV });
  database = await openDatabase({ kind: 'postgres', url: rig.databaseUrl, poolSize: 2 });
  const seeding = new DeliveryLog();
  await retryUntilAnswered(seeds, { client: rig.client, route: singleRoute, senders: SENDERS, log: seeding, attemptsMax: 1, backoffMs: 0 });
  expect(seeding.count('created')).toBe(RESTAURANTS);
}, 90_000);

afterAll(async () => {
  await database?.close();
  await rig?.close();
}, 30_000);

describe('the server killed mid-load and mid-payout-run', () => {
  it('keeps every acknowledged event, finishes the interrupted run and pays no restaurant twice', { timeout: 150_000 }, async () => {
    const first = rig.server;
    let sent = 0;
    let stopped = false;
    const log = new DeliveryLog();
    const loading = runLoad({ client: rig.client, route: singleRoute, senders: SENDERS, next: () => load[sent++], log, stop: () => stopped, backoffMs: 250 });
    const acknowledgedAtLeast = (count: number) => async () => (log.count('created') >= count ? true : undefined);

    // The run starts under load, and the kill follows as soon as it is part way: it must not finish first.
    await pollUntil('acknowledged events before the run', 60_000, acknowledgedAtLeast(ACKNOWLEDGED_BEFORE_KILL));
    const runId = await startRun(first.url, { currency: 'PEN', as_of: yesterday });
    await waitUntilPartlyDone(first.url, runId, PAYOUTS_BEFORE_KILL);
    const killedAt = performance.now();
    await first.kill('SIGKILL');
    const payoutsAtKill = await payoutCount();

    const second = await rig.startServer({ port: Number(new URL(first.url).port) });
    const healthyAt = performance.now();
    await pollUntil('acknowledged events after the restart', 60_000, acknowledgedAtLeast(log.count('created') + ACKNOWLEDGED_AFTER_RESTART));
    stopped = true;
    await loading;
    const run = await waitUntilCompleted(second.url, runId, RUN_TIMEOUT_MS, second.output);
    const runDoneAt = performance.now();

    // Nothing but 201s, network failures (the dead server) and 503s (none expected) came back.
    expect(log.unexpected().slice(0, 5), 'deliveries answered with something other than 201, 200, 503 or no answer').toEqual([]);
    expect(log.count('network'), 'the kill must have cut deliveries off').toBeGreaterThan(0);

    const attempted = [...seeds, ...load.slice(0, sent)];
    const acknowledged = log.acknowledged();
    const afterCrash = await auditLedger(rig.databaseUrl, attempted);
    const lost = afterCrash.missing.filter((id) => acknowledged.has(id));
    expect(lost, 'acknowledged events missing after the restart').toEqual([]);
    expect(afterCrash.partial, 'events recorded with only some of their entries').toEqual([]);

    const unacknowledged = new Set(log.unacknowledged());
    await retryUntilAnswered(load.filter((e) => unacknowledged.has(e.event_id)), {
      client: rig.client, route: singleRoute, senders: SENDERS, log, attemptsMax: 10, backoffMs: 200,
    });
    const final = await auditLedger(rig.databaseUrl, attempted);
    expect(log.unacknowledged()).toEqual([]);
    expect(final).toMatchObject({ recorded: attempted.length, missing: [], unexpected: [], partial: [], doubled: [] });

    // The run finished on the second server, once per restaurant, with the seeds' money only.
    expect(payoutsAtKill).toBeGreaterThanOrEqual(PAYOUTS_BEFORE_KILL);
    expect(payoutsAtKill).toBeLessThan(RESTAURANTS);
    expect(run).toMatchObject({ status: 'completed', created: RESTAURANTS, attempts: 2, last_error: null });
    const { rows: perRestaurant } = await sql<{ restaurant_id: string; payouts: number; amount: string }>`
      SELECT restaurant_id, count(*)::int AS payouts, SUM(amount_minor)::text AS amount
      FROM payouts GROUP BY restaurant_id ORDER BY restaurant_id`.execute(database.db);
    expect(perRestaurant).toEqual(restaurantIds.map((restaurant_id) => ({ restaurant_id, payouts: 1, amount: String(SEED_AMOUNT - SEED_FEE) })));
    expect(await settlementProblems(database.db, 'PEN')).toEqual({ unbalanced: [], settledTwice: [] });

    printFigures('server killed mid-load and mid-payout-run', {
      'deliveries made': log.records.length,
      acknowledged: acknowledged.size,
      'cut off by the kill (no answer)': log.count('network'),
      'committed but unacknowledged (200 on retry)': log.count('replayed'),
      recorded: final.recorded - seeds.length,
      lost: lost.length,
      doubled: final.doubled.length,
      partial: afterCrash.partial.length,
      'payouts before the kill': `${payoutsAtKill}/${RESTAURANTS}`,
      'payouts made twice': perRestaurant.filter((row) => row.payouts > 1).length,
      'recovery: new server healthy after kill (ms)': Math.round(healthyAt - killedAt),
      'recovery: run completed after kill (ms)': Math.round(runDoneAt - killedAt),
    });
  });
});

async function payoutCount(): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM payouts`.execute(database.db);
  return rows[0]?.n ?? 0;
}
