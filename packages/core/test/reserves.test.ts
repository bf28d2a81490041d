import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/unit-of-work.ts';
import { int8ToSafeInteger } from '../src/db/int8.ts';
import { entriesToWrite, reserveShare } from '../src/events/event-type.ts';
import { insertEventIfNew } from '../src/events/event.repository.ts';
import { EVENT_REGISTRY } from '../src/events/registry.ts';
import {
  balancesReport,
  createRestaurant,
  getBalance,
  getStatement,
  ingestEvent,
  ingestEventBatch,
  integrityReport,
  listPayouts,
  type ProcessorEventInput,
  requestPayoutRun,
  updateRestaurant,
  workNextPayoutRun,
} from '../src/index.ts';
import { registerRestaurant } from '../src/restaurants/restaurant.repository.ts';
import { chargeEvent, suiteDatabase } from './support/index.ts';

const NOW = '2026-03-01T12:00:00Z';
const DAY_MS = 24 * 60 * 60 * 1000;
const DAY0 = '2025-12-01T10:00:00.000Z';
const at = (days: number, from = DAY0) => new Date(Date.parse(from) + days * DAY_MS).toISOString();

/** An entry as a test reads it: type, signed amount, and days from occurred_at to available_at. */
const shapeOf = (entry: { entry_type: string; amount: number; occurred_at: string; available_at: string }) => ({
  type: entry.entry_type,
  amount: entry.amount,
  days: (Date.parse(entry.available_at) - Date.parse(entry.occurred_at)) / DAY_MS,
});

describe('a reserve share', () => {
  it('is floor(|amount| × bps / 10000), signed like the amount, exact beyond 2^53', () => {
    expect(reserveShare(10000, 1000)).toBe(1000);
    expect(reserveShare(-999, 333)).toBe(-33);
    expect(reserveShare(1, 9999)).toBe(0);
    expect(reserveShare(Number.MAX_SAFE_INTEGER, 10000)).toBe(Number.MAX_SAFE_INTEGER);
    expect(reserveShare(Number.MAX_SAFE_INTEGER, 9999)).toBe(Number((BigInt(Number.MAX_SAFE_INTEGER) * 9999n) / 10000n));
  });

  it('is not written at all when it comes to 0', () => {
    const planned = EVENT_REGISTRY.typeOf(chargeEvent({ amount: 9, fee: 0 })).plan?.(chargeEvent({ amount: 9, fee: 0 })) ?? [];
    expect(entriesToWrite(planned, { maturityDays: 7, reservePercent: 1000, reserveDays: 30 }).map((e) => e.entry_type)).toEqual(['sale']);
  });
});

describe('rolling reserves', () => {
  const suite = suiteDatabase(NOW);
  const charge = (overrides: Partial<Record<keyof ProcessorEventInput, unknown>>) => ingestEvent(suite.ctx, chargeEvent(overrides), {});
  const balance = (restaurantId: string, asOf: string) => getBalance(suite.ctx, { restaurant_id: restaurantId, currency: 'PEN', as_of: new Date(asOf) });

  it('hold the share with the sale and release it reserve_days after the sale matures (the docs example)', async () => {
    await createRestaurant(suite.ctx, { restaurant_id: 'res_rv_doc', maturity_days: 7, reserve_percent: 1000, reserve_days: 30 });
    const { entries } = await charge({ event_id: 'rv_doc_1', restaurant_id: 'res_rv_doc', occurred_at: DAY0, amount: 10000, fee: 300 });
    expect(entries.map(shapeOf)).toEqual([
      { type: 'sale', amount: 10000, days: 7 },
      { type: 'fee', amount: -300, days: 7 },
      { type: 'reserve_hold', amount: -1000, days: 7 },
      { type: 'reserve_release', amount: 1000, days: 37 },
    ]);
    expect(await balance('res_rv_doc', at(0))).toMatchObject({ available: 0, pending: 8700, reserved: 1000, total: 9700 });
    expect(await balance('res_rv_doc', at(7))).toMatchObject({ available: 8700, pending: 0, reserved: 1000, total: 9700 });
    expect(await balance('res_rv_doc', at(37))).toMatchObject({ available: 9700, pending: 0, reserved: 0, total: 9700 });
    expect(await balance('res_rv_doc', at(37 - 1 / 86_400_000))).toMatchObject({ available: 8700, reserved: 1000 });
  });

  it('apply to charges recorded after the change, whatever their occurred_at, and never rewrite earlier ones', async () => {
    await createRestaurant(suite.ctx, { restaurant_id: 'res_rv_change', maturity_days: 7 });
    const before = await charge({ event_id: 'rv_ch_1', restaurant_id: 'res_rv_change', occurred_at: at(1), amount: 5000, fee: 0 });
    await updateRestaurant(suite.ctx, { restaurant_id: 'res_rv_change', reserve_percent: 2000, reserve_days: 10 });
    // Occurred before the first, recorded after the change: under the reserve.
    const after = await charge({ event_id: 'rv_ch_2', restaurant_id: 'res_rv_change', occurred_at: at(0), amount: 5000, fee: 0 });
    expect(before.entries.map(shapeOf)).toEqual([{ type: 'sale', amount: 5000, days: 7 }]);
    expect(after.entries.map(shapeOf)).toEqual([
      { type: 'sale', amount: 5000, days: 7 },
      { type: 'reserve_hold', amount: -1000, days: 7 },
      { type: 'reserve_release', amount: 1000, days: 17 },
    ]);
    await updateRestaurant(suite.ctx, { restaurant_id: 'res_rv_change', reserve_percent: 0, reserve_days: 0 });
    // A replay after the settings changed answers what the first recording wrote.
    const replay = await charge({ event_id: 'rv_ch_2', restaurant_id: 'res_rv_change', occurred_at: at(0), amount: 5000, fee: 0 });
    expect(replay.idempotent).toBe(true);
    expect(replay.entries).toEqual(after.entries);
    const { rows } = await sql<{ n: string | number }>`SELECT COUNT(*) AS n FROM ledger_entries WHERE restaurant_id = 'res_rv_change'`.execute(suite.testDb.db);
    expect(Number(rows[0]?.n)).toBe(4);
  });

  it('of 10000 bps hold the whole sale, and of 0 days release it the moment it matures', async () => {
    await createRestaurant(suite.ctx, { restaurant_id: 'res_rv_all', maturity_days: 2, reserve_percent: 10000, reserve_days: 0 });
    const { entries } = await charge({ event_id: 'rv_all_1', restaurant_id: 'res_rv_all', occurred_at: DAY0, amount: 777, fee: 7 });
    expect(entries.map(shapeOf)).toEqual([
      { type: 'sale', amount: 777, days: 2 },
      { type: 'fee', amount: -7, days: 2 },
      { type: 'reserve_hold', amount: -777, days: 2 },
      { type: 'reserve_release', amount: 777, days: 2 },
    ]);
    expect(await balance('res_rv_all', at(1))).toMatchObject({ available: 0, pending: -7, reserved: 777, total: 770 });
    expect(await balance('res_rv_all', at(2))).toMatchObject({ available: 770, pending: 0, reserved: 0, total: 770 });
  });

  it('are written alike by the one statement, a batch, and the transactional path', async () => {
    await createRestaurant(suite.ctx, { restaurant_id: 'res_rv_paths', maturity_days: 3, reserve_percent: 333, reserve_days: 12 });
    const event = (id: string) => chargeEvent({ event_id: id, restaurant_id: 'res_rv_paths', occurred_at: DAY0, amount: 98765, fee: 123 });
    const single = await ingestEvent(suite.ctx, event('rv_p_single'), {});
    const [batched] = await ingestEventBatch(suite.ctx, [event('rv_p_batch')]);
    // The transactional path, as ingestion takes it when the statement leaves an event to it.
    const transactional = await inTransaction(suite.ctx.db, async (trx) => {
      const settings = await registerRestaurant(trx, 'res_rv_paths', 7);
      const stored = await insertEventIfNew(trx, event('rv_p_trx'), {});
      if (stored === undefined) throw new Error('rv_p_trx was stored already');
      const applied = await EVENT_REGISTRY.typeOf(event('rv_p_trx')).apply(trx, { eventPk: stored.id, event: event('rv_p_trx'), restaurant: settings });
      return applied.entries.map((entry) => ({
        type: entry.entry_type,
        amount: int8ToSafeInteger(entry.amount_minor),
        days: (entry.available_at.getTime() - entry.occurred_at.getTime()) / DAY_MS,
      }));
    });
    const expected = [
      { type: 'sale', amount: 98765, days: 3 },
      { type: 'fee', amount: -123, days: 3 },
      { type: 'reserve_hold', amount: -3288, days: 3 },
      { type: 'reserve_release', amount: 3288, days: 15 },
    ];
    expect(single.entries.map(shapeOf)).toEqual(expected);
    expect(batched?.result?.entries.map(shapeOf)).toEqual(expected);
    expect(transactional).toEqual(expected);
  });

  it('keep the statement, Q1 and the integrity report in agreement with the balance', async () => {
    const asOf = new Date(at(10));
    const statement = await getStatement(suite.ctx, { restaurant_id: 'res_rv_doc', currency: 'PEN', limit: 100, format: 'json' });
    const lastRunning = statement.items[statement.items.length - 1]?.running_balance;
    const bal = await getBalance(suite.ctx, { restaurant_id: 'res_rv_doc', currency: 'PEN', as_of: asOf });
    expect(lastRunning).toBe(bal.total);
    const q1 = await balancesReport(suite.ctx, { currency: 'PEN', as_of: asOf, limit: 1000 });
    expect(q1.items.find((row) => row.restaurant_id === 'res_rv_doc')?.available).toBe(bal.available);
    expect((await integrityReport(suite.ctx)).items).toEqual([]);
  });

  it('are paid out net: the hold with its sale, the release once it is available', async () => {
    await createRestaurant(suite.ctx, { restaurant_id: 'res_rv_pay', maturity_days: 7, reserve_percent: 1000, reserve_days: 30 });
    await charge({ event_id: 'rv_pay_1', restaurant_id: 'res_rv_pay', occurred_at: DAY0, amount: 10000, fee: 300 });
    const runTo = async (asOf: string) => {
      await requestPayoutRun(suite.ctx, { currency: 'PEN', as_of: asOf, min_amount: 0 });
      while ((await workNextPayoutRun(suite.ctx, { owner: 'reserves-test' })) !== undefined) {}
    };
    await runTo(at(7).slice(0, 10));
    const [first] = (await listPayouts(suite.ctx, { restaurant_id: 'res_rv_pay', limit: 10 })).items;
    const paid = { event_id: 'rv_pay_paid', event_type: 'payout_paid', restaurant_id: 'res_rv_pay', occurred_at: at(8), fee: 0 };
    await charge({ ...paid, amount: first?.amount, metadata: { payout_id: first?.payout_id } });
    await runTo(at(37).slice(0, 10));
    const payouts = (await listPayouts(suite.ctx, { restaurant_id: 'res_rv_pay', limit: 10 })).items;
    expect(payouts.map((p) => ({ amount: p.amount, items: p.items }))).toEqual([
      { amount: 8700, items: [{ type: 'fee', amount: -300 }, { type: 'reserve_hold', amount: -1000 }, { type: 'sale', amount: 10000 }] },
      { amount: 1000, items: [{ type: 'reserve_release', amount: 1000 }] },
    ]);
  });
});

describe('the integrity report', () => {
  const suite = suiteDatabase(NOW);

  it('names a charge whose reserve does not net to zero', async () => {
    await createRestaurant(suite.ctx, { restaurant_id: 'res_rv_bad', reserve_percent: 1000, reserve_days: 5 });
    await ingestEvent(suite.ctx, chargeEvent({ event_id: 'rv_bad_1', restaurant_id: 'res_rv_bad', occurred_at: DAY0, amount: 10000, fee: 0 }), {});
    // A second release of the charge's event, as only damage around the write path could add.
    await sql`
      INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, occurred_at
      FROM ledger_entries WHERE entry_type = 'reserve_release' AND restaurant_id = 'res_rv_bad'`.execute(suite.testDb.db);
    const reasons = (await integrityReport(suite.ctx)).items.map((row) => [row.reason, row.event_id]);
    expect(reasons).toEqual([
      ['ENTRIES_NOT_NETTED', 'rv_bad_1'],
      ['EVENT_ENTRIES_MISMATCH', 'rv_bad_1'],
    ]);
  });
});
