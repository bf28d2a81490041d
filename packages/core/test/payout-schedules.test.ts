import { describe, expect, it } from 'vitest';
import {
  createRestaurant,
  createScheduledRuns,
  getPayoutRun,
  ingestEvent,
  type LedgerContext,
  listPayoutRuns,
  listPayouts,
  type PayoutSchedule,
  requestPayoutRun,
  scheduleDayOf,
  startPayoutScheduler,
  type ScheduleTick,
  updateRestaurant,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, fixedClock, suiteDatabase } from './support/index.ts';

describe('the scheduler\'s day', () => {
  it.each([
    ['2025-12-01T00:00:00.000Z', { date: '2025-12-01', isoWeekday: 1, dayOfMonth: 1 }],
    ['2025-12-07T23:59:59.999Z', { date: '2025-12-07', isoWeekday: 7, dayOfMonth: 7 }],
    ['2026-02-28T12:00:00.000Z', { date: '2026-02-28', isoWeekday: 6, dayOfMonth: 28 }],
    // 2026-03-01T02:00+05:00 is still February the 28th in UTC: days are UTC days.
    ['2026-02-28T21:00:00.000Z', { date: '2026-02-28', isoWeekday: 6, dayOfMonth: 28 }],
  ])('of %s is %o (ISO weekday, 1 = Monday)', (iso, day) => {
    expect(scheduleDayOf(new Date(iso))).toEqual(day);
  });
});

describe('payout schedules', () => {
  const suite = suiteDatabase('2026-03-01T12:00:00Z');
  const at = (iso: string): LedgerContext => ({ ...suite.ctx, clock: fixedClock(iso) });
  const created = (tick: ScheduleTick) => tick.created.map((run) => `${run.restaurant_id}/${run.currency}`).sort();

  const SCHEDULES: Record<string, PayoutSchedule> = {
    res_sc_daily: { kind: 'daily' },
    res_sc_monday: { kind: 'weekly', weekday: 1 },
    res_sc_sunday: { kind: 'weekly', weekday: 7 },
    res_sc_first: { kind: 'monthly', day: 1 },
    res_sc_28th: { kind: 'monthly', day: 28 },
    res_sc_manual: { kind: 'manual' },
  };

  it('creates, on each day, a run per currency for exactly the restaurants due that day', async () => {
    for (const [restaurantId, payout_schedule] of Object.entries(SCHEDULES)) {
      await createRestaurant(suite.ctx, { restaurant_id: restaurantId, maturity_days: 0, payout_schedule });
      await ingestEvent(suite.ctx, chargeEvent({ event_id: `sc_${restaurantId}`, restaurant_id: restaurantId, occurred_at: '2025-11-20T10:00:00Z', amount: 5000, fee: 0 }), {});
    }
    await ingestEvent(suite.ctx, chargeEvent({ event_id: 'sc_daily_usd', restaurant_id: 'res_sc_daily', currency: 'USD', occurred_at: '2025-11-20T10:00:00Z', amount: 100, fee: 0 }), {});
    expect(created(await createScheduledRuns(at('2025-12-01T00:00:30Z')))).toEqual(['res_sc_daily/PEN', 'res_sc_daily/USD', 'res_sc_first/PEN', 'res_sc_monday/PEN']);
    expect(created(await createScheduledRuns(at('2025-12-07T08:00:00Z')))).toEqual(['res_sc_daily/PEN', 'res_sc_daily/USD', 'res_sc_sunday/PEN']);
    expect(created(await createScheduledRuns(at('2025-12-28T08:00:00Z')))).toEqual(['res_sc_28th/PEN', 'res_sc_daily/PEN', 'res_sc_daily/USD', 'res_sc_sunday/PEN']);
  });

  it('creates each run once, however often it looks that day', async () => {
    const again = await createScheduledRuns(at('2025-12-28T23:59:00Z'));
    expect(again).toEqual({ scheduled_date: '2025-12-28', ran: true, created: [] });
    const runs = await listPayoutRuns(suite.ctx, { trigger: 'schedule', scheduled_date: '2025-12-28', limit: 200 });
    expect(runs.items.map((run) => `${run.restaurant_id}/${run.currency}`).sort()).toEqual(['res_sc_28th/PEN', 'res_sc_daily/PEN', 'res_sc_daily/USD', 'res_sc_sunday/PEN']);
    expect(runs.items.every((run) => run.trigger === 'schedule' && run.as_of === '2025-12-28' && run.min_amount === 0)).toBe(true);
  });

  it('pays each scheduled run its one restaurant, as of the scheduled date, above its payout minimum', async () => {
    await updateRestaurant(suite.ctx, { restaurant_id: 'res_sc_sunday', payout_minimum: { PEN: 100_000 } });
    const worker = at('2025-12-28T09:00:00Z');
    while ((await workNextPayoutRun(worker, { owner: 'schedule-test' })) !== undefined) {}
    const payouts = (await listPayouts(suite.ctx, { limit: 200 })).items.map((p) => `${p.restaurant_id}/${p.currency}/${p.as_of}/${p.amount}`).sort();
    // The 1st's, the 7th's and the 28th's runs, each the restaurant's whole available balance then.
    expect(payouts).toEqual([
      'res_sc_daily/PEN/2025-12-01/5000',
      'res_sc_daily/USD/2025-12-01/100',
      'res_sc_first/PEN/2025-12-01/5000',
      'res_sc_monday/PEN/2025-12-01/5000',
    ].concat(['res_sc_28th/PEN/2025-12-28/5000']).sort());
    const sunday = (await listPayoutRuns(suite.ctx, { restaurant_id: 'res_sc_sunday', limit: 10 })).items;
    expect(sunday.map((run) => [run.scheduled_date, run.status, run.created, run.skipped.below_payout_minimum, run.skipped.open_payout])).toEqual([
      ['2025-12-07', 'completed', 0, 1, 0],
      ['2025-12-28', 'completed', 0, 1, 0],
    ]);
  });

  it('leaves POST /v1/payouts/run paying every eligible restaurant, whatever its schedule', async () => {
    await ingestEvent(suite.ctx, chargeEvent({ event_id: 'sc_manual_2', restaurant_id: 'res_sc_manual', occurred_at: '2025-12-02T10:00:00Z', amount: 1000, fee: 0 }), {});
    const ctx = at('2026-01-10T00:00:00Z');
    const run = await requestPayoutRun(ctx, { currency: 'PEN', as_of: '2026-01-05', min_amount: 0 });
    while ((await workNextPayoutRun(ctx, { owner: 'schedule-test' })) !== undefined) {}
    expect(await getPayoutRun(ctx, run.run_id)).toMatchObject({ trigger: 'manual', restaurant_id: null, scheduled_date: null, created: 1 });
    const paid = (await listPayouts(suite.ctx, { restaurant_id: 'res_sc_manual', limit: 10 })).items;
    expect(paid.map((p) => p.amount)).toEqual([6000]);
  });

  it('catches up on start for the current day, not for days it missed, and stops cleanly', async () => {
    // Down from the 28th to the 1st of the next month: a server started on the 2nd creates the 2nd's runs only.
    const ticks: ScheduleTick[] = [];
    const scheduler = startPayoutScheduler(at('2026-01-02T10:00:00Z'), { firstTickMs: 0, intervalMs: 20, onTick: (tick) => ticks.push(tick) });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await scheduler.stop();
    const after = ticks.length;
    expect(ticks[0]?.scheduled_date).toBe('2026-01-02');
    expect(created(ticks[0] as ScheduleTick)).toEqual(['res_sc_daily/PEN', 'res_sc_daily/USD']);
    expect(ticks.slice(1).every((tick) => tick.created.length === 0)).toBe(true);
    const january1 = await listPayoutRuns(suite.ctx, { trigger: 'schedule', scheduled_date: '2026-01-01', limit: 10 });
    expect(january1.items).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(ticks.length).toBe(after);
  });

  it('lists runs by how they were created, one page at a time', async () => {
    const first = await listPayoutRuns(suite.ctx, { trigger: 'schedule', restaurant_id: 'res_sc_daily', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const rest = await listPayoutRuns(suite.ctx, { trigger: 'schedule', restaurant_id: 'res_sc_daily', limit: 200, cursor: first.next_cursor ?? undefined });
    const all = [...first.items, ...rest.items].map((run) => `${run.scheduled_date}/${run.currency}`);
    expect(all).toEqual(['2025-12-01/PEN', '2025-12-01/USD', '2025-12-07/PEN', '2025-12-07/USD', '2025-12-28/PEN', '2025-12-28/USD', '2026-01-02/PEN', '2026-01-02/USD']);
    expect((await listPayoutRuns(suite.ctx, { trigger: 'manual', limit: 200 })).items.every((run) => run.restaurant_id === null)).toBe(true);
  });
});
