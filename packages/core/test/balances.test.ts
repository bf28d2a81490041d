import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Balance,
  createRestaurant,
  getBalance,
  ingestEvent,
  int8ToSafeInteger,
  type LedgerContext,
  type ProcessorEventInput,
  updateRestaurant,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, fixedClock, refundEvent, type TestDatabase, expectLedgerError } from './support/index.ts';

const NOW = '2026-01-15T00:00:00.000Z';
const DAY_MS = 24 * 60 * 60 * 1000;

let testDb: TestDatabase;
let ctx: LedgerContext;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock(NOW) });
});
afterAll(() => testDb.close());

function balance(restaurantId: string, currency: string, asOf?: string, context: LedgerContext = ctx): Promise<Balance> {
  return getBalance(context, { restaurant_id: restaurantId, currency, as_of: asOf === undefined ? undefined : new Date(asOf) });
}

async function ingestAll(events: ProcessorEventInput[]): Promise<void> {
  for (const event of events) await ingestEvent(ctx, event, {});
}

describe('the maturity window', () => {
  beforeAll(() => ingestAll([chargeEvent({ event_id: 'evt_mature', restaurant_id: 'res_mature', amount: 12000, fee: 600 })]));

  it.each([
    ['pending just before occurred_at + 7 days', '2025-12-27T15:09:59.999Z', { available: 0, pending: 11400 }],
    ['available exactly at occurred_at + 7 days', '2025-12-27T15:10:00.000Z', { available: 11400, pending: 0 }],
    ['still available long after', '2026-01-10T00:00:00.000Z', { available: 11400, pending: 0 }],
  ])('keeps a charge, net of its fee, %s', async (_label, asOf, split) => {
    expect(await balance('res_mature', 'PEN', asOf)).toEqual({
      restaurant_id: 'res_mature',
      currency: 'PEN',
      ...split,
      reserved: 0,
      total: 11400,
      last_event_at: '2025-12-20T15:10:00.000Z',
      as_of: asOf,
    });
  });

  it('counts a charge at the moment it occurred, as pending', async () => {
    expect(await balance('res_mature', 'PEN', '2025-12-20T15:10:00.000Z')).toMatchObject({ available: 0, pending: 11400, total: 11400 });
  });
});

describe('fees', () => {
  it('reduce the balance of charges and refunds alike', async () => {
    await ingestAll([
      chargeEvent({ event_id: 'evt_fee_none', restaurant_id: 'res_fees', amount: 10000, fee: 0 }),
      chargeEvent({ event_id: 'evt_fee_some', restaurant_id: 'res_fees', amount: 10000, fee: 250 }),
      refundEvent({ event_id: 'evt_fee_refund', restaurant_id: 'res_fees', amount: 1000, fee: 50 }),
    ]);
    expect(await balance('res_fees', 'PEN', '2025-12-28T00:00:00Z')).toMatchObject({ available: 10000 + 9750 - 1050, pending: 0 });
  });

  it('may take a whole charge', async () => {
    await ingestAll([chargeEvent({ event_id: 'evt_fee_all', restaurant_id: 'res_fee_all', amount: 500, fee: 500 })]);
    expect(await balance('res_fee_all', 'PEN')).toMatchObject({ available: 0, pending: 0, total: 0, last_event_at: '2025-12-20T15:10:00.000Z' });
  });
});

describe('refunds', () => {
  beforeAll(() =>
    ingestAll([
      chargeEvent({ event_id: 'evt_rf_charge', restaurant_id: 'res_refund', occurred_at: '2025-12-20T12:00:00Z', amount: 10000, fee: 300 }),
      refundEvent({ event_id: 'evt_rf_refund', restaurant_id: 'res_refund', occurred_at: '2025-12-21T12:00:00Z', amount: 4000, fee: 100 }),
    ]),
  );

  it.each([
    ['before the refund, only the pending charge counts', '2025-12-21T11:59:59.999Z', { available: 0, pending: 9700, total: 9700 }],
    ['from the refund on, it takes available below zero at once', '2025-12-21T12:00:00.000Z', { available: -4100, pending: 9700, total: 5600 }],
    ['once the charge matures, available is the net of both', '2025-12-27T12:00:00.000Z', { available: 5600, pending: 0, total: 5600 }],
  ])('%s', async (_label, asOf, expected) => {
    expect(await balance('res_refund', 'PEN', asOf)).toMatchObject(expected);
  });

  it('can leave a restaurant with only a refund owing money', async () => {
    await ingestAll([refundEvent({ event_id: 'evt_rf_only', restaurant_id: 'res_refund_only', amount: 700, fee: 0 })]);
    expect(await balance('res_refund_only', 'PEN')).toMatchObject({ available: -700, pending: 0, total: -700 });
  });
});

describe('time travel with as_of', () => {
  beforeAll(() =>
    ingestAll([
      chargeEvent({ event_id: 'evt_tt_1', restaurant_id: 'res_travel', occurred_at: '2025-12-01T10:00:00Z', amount: 1000, fee: 0 }),
      chargeEvent({ event_id: 'evt_tt_2', restaurant_id: 'res_travel', occurred_at: '2025-12-10T10:00:00Z', amount: 2000, fee: 0 }),
      chargeEvent({ event_id: 'evt_tt_3', restaurant_id: 'res_travel', occurred_at: '2025-12-20T10:00:00Z', amount: 4000, fee: 0 }),
    ]),
  );

  it('leaves out events that occurred after as_of and reports the latest counted occurred_at', async () => {
    expect(await balance('res_travel', 'PEN', '2025-12-15T00:00:00Z')).toEqual({
      restaurant_id: 'res_travel',
      currency: 'PEN',
      available: 1000,
      pending: 2000,
      reserved: 0,
      total: 3000,
      last_event_at: '2025-12-10T10:00:00.000Z',
      as_of: '2025-12-15T00:00:00.000Z',
    });
  });

  it('counts an event that occurred exactly at as_of', async () => {
    expect(await balance('res_travel', 'PEN', '2025-12-10T10:00:00Z')).toMatchObject({ total: 3000, last_event_at: '2025-12-10T10:00:00.000Z' });
    expect(await balance('res_travel', 'PEN', '2025-12-10T09:59:59.999Z')).toMatchObject({ total: 1000, last_event_at: '2025-12-01T10:00:00.000Z' });
  });

  it('gives zeros and no last_event_at before the first event', async () => {
    expect(await balance('res_travel', 'PEN', '2025-11-30T00:00:00Z')).toMatchObject({ available: 0, pending: 0, total: 0, last_event_at: null });
  });

  it('echoes as_of as an ISO-8601 instant in UTC', async () => {
    expect((await balance('res_travel', 'PEN', '2025-12-15T05:30:00+05:30')).as_of).toBe('2025-12-15T00:00:00.000Z');
  });

  it('defaults as_of to the context clock, not the wall clock', async () => {
    expect(await balance('res_travel', 'PEN')).toMatchObject({ available: 7000, pending: 0, total: 7000, as_of: NOW });
    const earlier = testDb.context({ clock: fixedClock('2025-12-15T00:00:00Z') });
    expect(await balance('res_travel', 'PEN', undefined, earlier)).toMatchObject({
      available: 1000,
      pending: 2000,
      last_event_at: '2025-12-10T10:00:00.000Z',
      as_of: '2025-12-15T00:00:00.000Z',
    });
  });
});

describe('currencies', () => {
  beforeAll(() =>
    ingestAll([
      chargeEvent({ event_id: 'evt_cur_pen', restaurant_id: 'res_multi', currency: 'PEN', amount: 12000, fee: 600 }),
      refundEvent({ event_id: 'evt_cur_pen_rf', restaurant_id: 'res_multi', currency: 'PEN', amount: 1000, fee: 0 }),
      chargeEvent({ event_id: 'evt_cur_usd', restaurant_id: 'res_multi', currency: 'USD', occurred_at: '2025-12-22T09:00:00Z', amount: 3000, fee: 90 }),
    ]),
  );

  it('of one restaurant are never added together', async () => {
    expect(await balance('res_multi', 'PEN')).toMatchObject({ currency: 'PEN', total: 10400, last_event_at: '2025-12-20T15:10:00.000Z' });
    expect(await balance('res_multi', 'USD')).toMatchObject({ currency: 'USD', total: 2910, last_event_at: '2025-12-22T09:00:00.000Z' });
  });

  it('with no entries give zeros and no last_event_at for a known restaurant', async () => {
    expect(await balance('res_multi', 'EUR')).toEqual({
      restaurant_id: 'res_multi',
      currency: 'EUR',
      available: 0,
      pending: 0,
      reserved: 0,
      total: 0,
      last_event_at: null,
      as_of: NOW,
    });
  });
});

describe('per-restaurant maturity', () => {
  it.each([
    [1, '2025-12-21T15:09:59.999Z', '2025-12-21T15:10:00.000Z'],
    [30, '2026-01-19T15:09:59.999Z', '2026-01-19T15:10:00.000Z'],
  ])('of %i days set before the first event keeps a charge pending at %s and available from %s', async (days, pendingAt, availableAt) => {
    const restaurantId = `res_window_${days}`;
    await createRestaurant(ctx, { restaurant_id: restaurantId, maturity_days: days });
    await ingestAll([chargeEvent({ event_id: `evt_window_${days}`, restaurant_id: restaurantId })]);
    expect(await balance(restaurantId, 'PEN', pendingAt)).toMatchObject({ available: 0, pending: 11400 });
    expect(await balance(restaurantId, 'PEN', availableAt)).toMatchObject({ available: 11400, pending: 0 });
  });

  it('of 0 days makes a charge available the moment it occurred', async () => {
    await createRestaurant(ctx, { restaurant_id: 'res_window_0', maturity_days: 0 });
    await ingestAll([chargeEvent({ event_id: 'evt_window_0', restaurant_id: 'res_window_0' })]);
    expect(await balance('res_window_0', 'PEN', '2025-12-20T15:10:00.000Z')).toMatchObject({ available: 11400, pending: 0 });
  });

  it('changed later applies to events recorded afterwards only', async () => {
    await createRestaurant(ctx, { restaurant_id: 'res_rewindow', maturity_days: 7 });
    const before = chargeEvent({ event_id: 'evt_rw_before', restaurant_id: 'res_rewindow', occurred_at: '2025-12-10T00:00:00Z', amount: 1000, fee: 0 });
    await ingestAll([before]);
    await updateRestaurant(ctx, { restaurant_id: 'res_rewindow', maturity_days: 2 });
    await ingestAll([
      chargeEvent({ event_id: 'evt_rw_after', restaurant_id: 'res_rewindow', occurred_at: '2025-12-10T00:00:00Z', amount: 2000, fee: 0 }),
    ]);
    // A replay of the earlier event after the change is idempotent and does not move its entries.
    expect((await ingestEvent(ctx, before, {})).idempotent).toBe(true);
    expect(await balance('res_rewindow', 'PEN', '2025-12-12T00:00:00Z')).toMatchObject({ available: 2000, pending: 1000 });
    expect(await balance('res_rewindow', 'PEN', '2025-12-17T00:00:00Z')).toMatchObject({ available: 3000, pending: 0 });
  });
});

describe('restaurants', () => {
  it('unknown to the ledger are refused as RESTAURANT_NOT_FOUND', async () => {
    const error = await expectLedgerError(balance('res_unknown', 'PEN'), 'RESTAURANT_NOT_FOUND');
    expect(error.details).toEqual({ restaurant_id: 'res_unknown' });
  });

  it('created but without events have zero balances', async () => {
    await createRestaurant(ctx, { restaurant_id: 'res_empty' });
    expect(await balance('res_empty', 'PEN', '2025-12-31T00:00:00Z')).toEqual({
      restaurant_id: 'res_empty',
      currency: 'PEN',
      available: 0,
      pending: 0,
      reserved: 0,
      total: 0,
      last_event_at: null,
      as_of: '2025-12-31T00:00:00.000Z',
    });
  });
});

describe('the total', () => {
  beforeAll(() =>
    ingestAll([
      chargeEvent({ event_id: 'evt_sum_1', restaurant_id: 'res_sum', occurred_at: '2025-12-05T08:00:00Z', amount: 5000, fee: 125 }),
      chargeEvent({ event_id: 'evt_sum_2', restaurant_id: 'res_sum', occurred_at: '2025-12-14T08:00:00Z', amount: 8000, fee: 200 }),
      refundEvent({ event_id: 'evt_sum_3', restaurant_id: 'res_sum', occurred_at: '2025-12-15T08:00:00Z', amount: 3000, fee: 30 }),
      chargeEvent({ event_id: 'evt_sum_4', restaurant_id: 'res_sum', occurred_at: '2025-12-18T08:00:00Z', currency: 'USD', amount: 900, fee: 9 }),
    ]),
  );

  async function ledgerSum(restaurantId: string, currency: string, asOf: string): Promise<{ total: number; available: number }> {
    const { rows } = await sql<{ total: string | number | bigint; available: string | number | bigint }>`
      SELECT COALESCE(SUM(amount_minor), 0) AS total,
             COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= ${asOf}::timestamptz), 0) AS available
      FROM ledger_entries
      WHERE restaurant_id = ${restaurantId} AND currency = ${currency} AND occurred_at <= ${asOf}::timestamptz`.execute(testDb.db);
    const row = rows[0];
    if (row === undefined) throw new Error('an aggregate returned no row');
    return { total: int8ToSafeInteger(row.total), available: int8ToSafeInteger(row.available) };
  }

  it.each(['2025-12-01T00:00:00.000Z', '2025-12-12T08:00:00.000Z', '2025-12-15T08:00:00.000Z', '2025-12-21T08:00:00.000Z', NOW])(
    'at %s is available + pending and the plain sum of the ledger entries',
    async (asOf) => {
      for (const currency of ['PEN', 'USD']) {
        const result = await balance('res_sum', currency, asOf);
        expect(result.total).toBe(result.available + result.pending);
        expect({ total: result.total, available: result.available }).toEqual(await ledgerSum('res_sum', currency, asOf));
      }
    },
  );

  it('of every restaurant and currency in the ledger equals the sum of all its entries', async () => {
    const { rows } = await sql<{ restaurant_id: string; currency: string; total: string | number | bigint }>`
      SELECT restaurant_id, currency, SUM(amount_minor) AS total FROM ledger_entries GROUP BY restaurant_id, currency`.execute(testDb.db);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const result = await balance(row.restaurant_id, row.currency);
      expect(result.total, `${row.restaurant_id} ${row.currency}`).toBe(int8ToSafeInteger(row.total));
      expect(result.total).toBe(result.available + result.pending);
    }
  });
});

describe('replaying an event stream (DOMAIN §7, invariant 4)', () => {
  const WINDOW_START_MS = Date.parse('2025-12-01T00:00:00Z');
  const WINDOW_MINUTES = 30 * 24 * 60;
  const MATURITY_DAYS = 7;
  const RESTAURANTS = 3;
  const CURRENCIES = ['PEN', 'USD'] as const;
  const AS_OFS = ['2025-12-08T00:00:00.000Z', '2025-12-15T12:00:00.000Z', '2025-12-31T00:00:00.000Z', undefined];

  const eventArbitrary = fc.record({
    type: fc.constantFrom('charge_succeeded' as const, 'refund_succeeded' as const),
    restaurant: fc.integer({ min: 0, max: RESTAURANTS - 1 }),
    currency: fc.constantFrom(...CURRENCIES),
    amount: fc.integer({ min: 1, max: 10_000 }),
    feePercent: fc.integer({ min: 0, max: 100 }),
    minute: fc.integer({ min: 0, max: WINDOW_MINUTES }),
    /** One sort key per delivery in the replay: at least one, so every event is replayed. */
    deliveries: fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
  });
  type GeneratedEvent = typeof eventArbitrary extends fc.Arbitrary<infer T> ? T : never;

  function toEvent(generated: GeneratedEvent, index: number, prefix: string): ProcessorEventInput {
    const build = generated.type === 'charge_succeeded' ? chargeEvent : refundEvent;
    return build({
      event_id: `${prefix}_e${index}`,
      restaurant_id: `${prefix}_r${generated.restaurant}`,
      currency: generated.currency,
      amount: generated.amount,
      fee: Math.floor((generated.amount * generated.feePercent) / 100),
      occurred_at: new Date(WINDOW_START_MS + generated.minute * 60_000).toISOString(),
      metadata: { index },
    });
  }

  /** The balance the contract promises, computed without the database. */
  function expectedBalance(events: ProcessorEventInput[], restaurantId: string, currency: string, asOf: string) {
    const asOfMs = Date.parse(asOf);
    let available = 0;
    let pending = 0;
    let lastMs: number | undefined;
    for (const event of events) {
      const occurredMs = Date.parse(event.occurred_at);
      if (event.restaurant_id !== restaurantId || event.currency !== currency || occurredMs > asOfMs) continue;
      const isCharge = event.event_type === 'charge_succeeded';
      const net = isCharge ? event.amount - event.fee : -event.amount - event.fee;
      const availableMs = isCharge ? occurredMs + MATURITY_DAYS * DAY_MS : occurredMs;
      if (availableMs <= asOfMs) available += net;
      else pending += net;
      lastMs = Math.max(lastMs ?? occurredMs, occurredMs);
    }
    return { available, pending, reserved: 0, total: available + pending, last_event_at: lastMs === undefined ? null : new Date(lastMs).toISOString() };
  }

  async function balancesOf(prefix: string, restaurants: number[]) {
    const results: Array<Omit<Balance, 'restaurant_id'>> = [];
    for (const restaurant of restaurants) {
      for (const currency of CURRENCIES) {
        for (const asOf of AS_OFS) {
          const { restaurant_id: _id, ...rest } = await balance(`${prefix}_r${restaurant}`, currency, asOf);
          results.push(rest);
        }
      }
    }
    return results;
  }

  let run = 0;

  it('in any order, with any number of duplicates, gives the same balances as playing each event once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArbitrary, { minLength: 1, maxLength: 12 }), async (generated) => {
        run += 1;
        const once = generated.map((g, i) => toEvent(g, i, `pbt${run}o`));
        const replayed = generated.map((g, i) => toEvent(g, i, `pbt${run}x`));
        const deliveries = replayed
          .flatMap((event, i) => (generated[i]?.deliveries ?? []).map((key) => ({ key, event })))
          .sort((a, b) => a.key - b.key)
          .map((d) => d.event);

        await ingestAll(once);
        let recorded = 0;
        for (const event of deliveries) if (!(await ingestEvent(ctx, event, {})).idempotent) recorded += 1;
        expect(recorded).toBe(replayed.length);

        const restaurants = [...new Set(generated.map((g) => g.restaurant))];
        const onceBalances = await balancesOf(`pbt${run}o`, restaurants);
        expect(await balancesOf(`pbt${run}x`, restaurants)).toEqual(onceBalances);

        const expected = restaurants.flatMap((r) =>
          CURRENCIES.flatMap((currency) =>
            AS_OFS.map((asOf) => ({ currency, ...expectedBalance(once, `pbt${run}o_r${r}`, currency, asOf ?? NOW), as_of: asOf ?? NOW })),
          ),
        );
        expect(onceBalances).toEqual(expected);
      }),
      { numRuns: 15 },
    );
  });
});

describe('timestamp precision', () => {
  it('reports occurred_at at the precision it stores, so a reported time used as as_of counts the same entries', async () => {
    const ctxUs = testDb.context({ clock: fixedClock('2026-06-01T00:00:00Z') });
    const result = await ingestEvent(ctxUs, chargeEvent({ event_id: 'evt_us', restaurant_id: 'res_us', occurred_at: '2025-12-20T15:10:00.0005Z' }), {});
    expect(result.event.occurred_at).toBe('2025-12-20T15:10:00.000Z');
    const now = await getBalance(ctxUs, { restaurant_id: 'res_us', currency: 'PEN' });
    const atLastEvent = await getBalance(ctxUs, { restaurant_id: 'res_us', currency: 'PEN', as_of: new Date(now.last_event_at ?? '') });
    expect(atLastEvent.total).toBe(now.total);
    const atAvailable = await getBalance(ctxUs, {
      restaurant_id: 'res_us',
      currency: 'PEN',
      as_of: new Date(result.entries[0]?.available_at ?? ''),
    });
    expect(atAvailable).toMatchObject({ available: 11400, pending: 0 });
  });
});
