import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createRestaurant, createScheduledRuns, ingestEvent, type LedgerContext, startPayoutScheduler, type ScheduleTick } from '../src/index.ts';
import { createDueScheduledRuns } from '../src/payouts/payout-schedule.repository.ts';
import { chargeEvent, fixedClock, suiteDatabase } from './support/index.ts';

const TODAY = '2026-03-02T06:00:00Z';
const RESTAURANTS = Array.from({ length: 20 }, (_, i) => `res_race_${String(i).padStart(2, '0')}`);

describe('schedulers on several servers', () => {
  const suite = suiteDatabase(TODAY);

  async function seed(): Promise<void> {
    for (const restaurantId of RESTAURANTS) {
      await createRestaurant(suite.ctx, { restaurant_id: restaurantId, payout_schedule: { kind: 'daily' } });
      for (const currency of ['PEN', 'USD']) {
        const event = chargeEvent({ event_id: `race_${restaurantId}_${currency}`, restaurant_id: restaurantId, currency, occurred_at: '2026-02-01T00:00:00Z' });
        await ingestEvent(suite.ctx, event, {});
      }
    }
  }

  async function scheduledRunCount(): Promise<number> {
    const { rows } = await sql<{ n: string }>`SELECT COUNT(*)::text AS n FROM payout_runs WHERE trigger = 'schedule'`.execute(suite.testDb.db);
    return Number(rows[0]?.n);
  }

  it('racing on separate connections create each (restaurant, currency, date) run exactly once', async () => {
    await seed();
    // Two "servers", each with its own pool, looking at once, many times over.
    const servers: LedgerContext[] = [0, 1].map(() => ({ ...suite.ctx, db: suite.testDb.openPool(2), clock: fixedClock(TODAY) }));
    const ticks: ScheduleTick[] = (await Promise.all(Array.from({ length: 10 }, (_, i) => createScheduledRuns(servers[i % 2] as LedgerContext)))).flat();
    const created = ticks.flatMap((tick) => tick.created.map((run) => `${run.restaurant_id}/${run.currency}`));
    expect(created.length).toBe(RESTAURANTS.length * 2);
    expect(new Set(created).size).toBe(created.length);
    expect(await scheduledRunCount()).toBe(RESTAURANTS.length * 2);
  });

  it('are kept to one run per date by the database even without the lock', async () => {
    const tomorrow = { date: '2026-03-03', isoWeekday: 2, dayOfMonth: 3 };
    const pools = [suite.testDb.openPool(1), suite.testDb.openPool(1)];
    const results = await Promise.all(pools.map((pool) => pool.transaction().execute((trx) => createDueScheduledRuns(trx, tomorrow))));
    expect(results.map((rows) => rows.length).reduce((a, b) => a + b, 0)).toBe(RESTAURANTS.length * 2);
    expect(await scheduledRunCount()).toBe(RESTAURANTS.length * 4);
  });

  it('running side by side as background loops, and restarted, still create each run once', async () => {
    const day = '2026-03-04T00:00:05Z';
    const loops = [0, 1, 2].map(() =>
      startPayoutScheduler({ ...suite.ctx, db: suite.testDb.openPool(1), clock: fixedClock(day) }, { firstTickMs: 0, intervalMs: 5 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(loops.map((loop) => loop.stop()));
    const restarted = startPayoutScheduler({ ...suite.ctx, clock: fixedClock(day) }, { firstTickMs: 0, intervalMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await restarted.stop();
    const { rows } = await sql<{ n: string }>`
      SELECT COUNT(*)::text AS n FROM payout_runs WHERE trigger = 'schedule' AND scheduled_date = '2026-03-04'`.execute(suite.testDb.db);
    expect(Number(rows[0]?.n)).toBe(RESTAURANTS.length * 2);
  });
});
