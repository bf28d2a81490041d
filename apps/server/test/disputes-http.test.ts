import type { Payout, PayoutRun } from '@restaurant-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun } from './support/payout-runs.ts';
import { EXAMPLE_EVENT, type JsonResponse, request, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const postEvent = (body: Record<string, unknown>): Promise<JsonResponse> => request(`${server.url}/v1/processor/events`, { body });
const get = (path: string): Promise<JsonResponse> => request(`${server.url}${path}`);

function dispute(eventType: string, eventId: string, restaurant: string, metadata: Record<string, unknown>, fields: Record<string, unknown> = {}) {
  return { ...EXAMPLE_EVENT, event_id: eventId, event_type: eventType, restaurant_id: restaurant, occurred_at: '2025-12-22T10:00:00Z', amount: 4000, fee: 0, metadata, ...fields };
}

async function runPayouts(body: { currency: string; as_of: string }): Promise<PayoutRun> {
  const accepted = await request(`${server.url}/v1/payouts/run`, { body: { ...body, min_amount: 0 } });
  expect(accepted.status).toBe(202);
  for (let i = 0; i < 200; i += 1) {
    const run = await getRun(server.url, accepted.body.data.run_id);
    if (run.status === 'completed' || run.status === 'failed') return run;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the payout run did not finish');
}

describe('dispute events on the webhook', () => {
  it('answer 201, then 200 idempotent on replay and 409 EVENT_ID_CONFLICT on changed content, writing once', async () => {
    expect((await postEvent({ ...EXAMPLE_EVENT, event_id: 'h_c1', restaurant_id: 'res_hd' })).status).toBe(201);
    const opened = dispute('dispute_opened', 'h_d1_open', 'res_hd', { dispute_id: 'h_dp1', charge_event_id: 'h_c1' }, { fee: 1500 });
    const created = await postEvent(opened);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      success: true,
      data: { idempotent: false, dispute: { dispute_id: 'h_dp1', status: 'open', charge_found: true } },
    });
    expect(created.body.data.entries.map((e: { entry_type: string; amount: number }) => [e.entry_type, e.amount])).toEqual([
      ['dispute_hold', -4000],
      ['dispute_fee', -1500],
    ]);
    const replay = await postEvent(opened);
    expect(replay.status).toBe(200);
    expect(replay.body.data.idempotent).toBe(true);
    const conflict = await postEvent({ ...opened, amount: 4001 });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ success: false, error: { code: 'EVENT_ID_CONFLICT' }, meta: { request_id: expect.any(String) } });

    const won = dispute('dispute_won', 'h_d1_won', 'res_hd', { dispute_id: 'h_dp1' });
    expect((await postEvent(won)).status).toBe(201);
    const wonAgain = await postEvent(won);
    expect(wonAgain.status).toBe(200);
    expect(wonAgain.body.data.idempotent).toBe(true);
  });

  it.each([
    ['dispute_won for a dispute never opened', () => dispute('dispute_won', 'h_x1', 'res_hd', { dispute_id: 'h_never' }), 409, 'DISPUTE_NOT_OPEN'],
    ['dispute_lost after it was won', () => dispute('dispute_lost', 'h_x2', 'res_hd', { dispute_id: 'h_dp1' }), 409, 'DISPUTE_ALREADY_CLOSED'],
    ['a second dispute_opened of one dispute_id', () => dispute('dispute_opened', 'h_x3', 'res_hd', { dispute_id: 'h_dp1' }), 409, 'DISPUTE_ALREADY_EXISTS'],
    ['a dispute above the charge', () => dispute('dispute_opened', 'h_x4', 'res_hd', { dispute_id: 'h_big', charge_event_id: 'h_c1' }, { amount: 12001 }), 422, 'DISPUTE_EXCEEDS_CHARGE'],
    ['a fee on dispute_won', () => dispute('dispute_won', 'h_x5', 'res_hd', { dispute_id: 'h_dp1' }, { fee: 1 }), 422, 'EVENT_INVALID_FEE'],
  ] as const)('refuse %s (%s) and write nothing, not even the event', async (_name, body, status, code) => {
    const sent = body();
    const response = await postEvent(sent);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, error: { code } });
    const stored = await server.testDb.db.selectFrom('processor_events').select('id').where('event_id', '=', sent.event_id).execute();
    expect(stored).toEqual([]);
  });

  it.each(['dispute_opened', 'dispute_won', 'dispute_lost'])('refuse %s without metadata.dispute_id: 422 naming the field', async (eventType) => {
    const response = await postEvent(dispute(eventType, `h_noid_${eventType}`, 'res_hd', { charge_event_id: 'h_c1' }));
    expect(response.status).toBe(422);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { issues: [{ field: 'metadata.dispute_id' }] } });
  });

  it('give the same answers per event on the batch route', async () => {
    const response = await request(`${server.url}/v1/processor/events/batch`, {
      body: {
        events: [
          dispute('dispute_opened', 'h_b_open', 'res_hd', { dispute_id: 'h_bdp', payment_id: 'pay_456' }, { amount: 1000 }),
          dispute('dispute_lost', 'h_b_lost', 'res_hd', { dispute_id: 'h_bdp' }, { amount: 1000 }),
          dispute('dispute_won', 'h_b_won', 'res_hd', { dispute_id: 'h_bdp' }, { amount: 1000 }),
          dispute('dispute_won', 'h_b_none', 'res_hd', { dispute_id: 'h_bnone' }),
        ],
      },
    });
    expect(response.status).toBe(200);
    expect(response.body.data.results.map((r: { status: number; success: boolean; error?: { code: string } }) => [r.status, r.error?.code ?? null])).toEqual([
      [201, null],
      [201, null],
      [409, 'DISPUTE_ALREADY_CLOSED'],
      [409, 'DISPUTE_NOT_OPEN'],
    ]);
  });
});

describe('GET /v1/disputes', () => {
  it('lists disputes with their charge and events, filtered, paged, and shows one by id', async () => {
    expect((await postEvent(dispute('dispute_opened', 'h_unknown_open', 'res_hd2', { dispute_id: 'h_unknown', payment_id: 'pay_nobody' }))).status).toBe(201);
    const list = await get('/v1/disputes?restaurant_id=res_hd2');
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual({
      items: [
        {
          dispute_id: 'h_unknown',
          restaurant_id: 'res_hd2',
          currency: 'PEN',
          amount: 4000,
          fee: 0,
          status: 'open',
          charge_found: false,
          charge: { event_id: null, payment_id: 'pay_nobody', charge_found: false },
          opened_at: '2025-12-22T10:00:00.000Z',
          closed_at: null,
          created_at: expect.any(String),
          events: [{ event_id: 'h_unknown_open', event_type: 'dispute_opened', occurred_at: '2025-12-22T10:00:00.000Z' }],
        },
      ],
      next_cursor: null,
    });
    const one = await get('/v1/disputes/h_dp1');
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({ status: 'won', charge: { event_id: 'h_c1', payment_id: 'pay_456', charge_found: true } });
    expect(one.body.data.events.map((e: { event_type: string }) => e.event_type)).toEqual(['dispute_opened', 'dispute_won']);

    const page = await get('/v1/disputes?restaurant_id=res_hd&limit=1');
    expect(page.body.data.items).toHaveLength(1);
    const next = await get(`/v1/disputes?restaurant_id=res_hd&limit=1&cursor=${page.body.data.next_cursor}`);
    expect(next.body.data.items[0].dispute_id).not.toBe(page.body.data.items[0].dispute_id);
    const changed = await get(`/v1/disputes?restaurant_id=res_hd2&limit=1&cursor=${page.body.data.next_cursor}`);
    expect(changed.status).toBe(422);
    expect(changed.body.error.code).toBe('CURSOR_INVALID');
    expect((await get('/v1/disputes?status=won&restaurant_id=res_hd')).body.data.items.map((d: { dispute_id: string }) => d.dispute_id)).toEqual(['h_dp1']);
  });

  it.each([
    ['/v1/disputes/h_nope', 404, 'DISPUTE_NOT_FOUND'],
    ['/v1/disputes?status=closed', 422, 'VALIDATION_ERROR'],
    ['/v1/disputes?limit=201', 422, 'VALIDATION_ERROR'],
    ['/v1/disputes?cursor=bogus', 422, 'CURSOR_INVALID'],
    ['/v1/reports/deficits', 422, 'VALIDATION_ERROR'],
    ['/v1/reports/deficits?currency=PEN&cursor=bogus', 422, 'CURSOR_INVALID'],
  ])('answers %s with %i %s in the envelope', async (path, status, code) => {
    const response = await get(path);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, error: { code } });
  });
});

describe('a deficit (docs/payouts.md#deficits, worked example)', () => {
  const USD = (eventId: string, fields: Record<string, unknown>) => ({ ...EXAMPLE_EVENT, event_id: eventId, restaurant_id: 'res_deficit', currency: 'USD', fee: 0, metadata: {}, ...fields });

  it('is never paid out, is listed by the deficits report and Q1, and is netted first by the next payout', async () => {
    expect((await postEvent(USD('w_c1', { amount: 10_000, occurred_at: '2025-11-01T12:00:00Z', metadata: { payment_id: 'pay_w1' } }))).status).toBe(201);
    expect((await runPayouts({ currency: 'USD', as_of: '2025-11-10' })).created).toBe(1);
    const [paid] = (await get('/v1/payouts?restaurant_id=res_deficit&currency=USD')).body.data.items as Payout[];
    const paidEvent = USD('w_paid', { event_type: 'payout_paid', amount: 10_000, occurred_at: '2025-11-11T09:00:00Z', metadata: { payout_id: paid?.payout_id } });
    expect((await postEvent(paidEvent)).status).toBe(201);
    const opened = USD('w_d1', { event_type: 'dispute_opened', amount: 4000, occurred_at: '2025-11-12T09:00:00Z', metadata: { dispute_id: 'w_dp1', charge_event_id: 'w_c1' } });
    expect((await postEvent(opened)).status).toBe(201);

    expect((await get('/v1/restaurants/res_deficit/balance?currency=USD')).body.data).toMatchObject({ available: -4000, pending: 0, total: -4000 });
    const q1 = await get('/v1/reports/balances?currency=USD');
    expect(q1.body.data.items).toEqual([{ restaurant_id: 'res_deficit', available: -4000, last_event_at: expect.any(String) }]);
    const deficits = await get('/v1/reports/deficits?currency=USD');
    expect(deficits.status).toBe(200);
    // The balance went below zero when the first payout took the 10000 (the hold came before it, on
    // the balance of that day the payout did not exist yet): that payout was created just now.
    const [first] = (await get('/v1/payouts?restaurant_id=res_deficit&currency=USD')).body.data.items as Payout[];
    expect(deficits.body.data.items).toEqual([{ restaurant_id: 'res_deficit', currency: 'USD', deficit: 4000, since: first?.created_at, age_days: 0 }]);
    const statement = await get('/v1/restaurants/res_deficit/statement?currency=USD');
    expect(statement.body.data.items.map((item: { running_balance: number }) => item.running_balance)).toEqual([10_000, 6000, -4000]); // sale, hold, payout (occurred order)

    const skipped = await runPayouts({ currency: 'USD', as_of: '2025-11-15' });
    expect(skipped).toMatchObject({ created: 0, skipped: { not_positive: 1 } });
    expect((await get('/v1/reports/payout-eligibility?currency=USD&as_of=2025-11-15')).body.data.items).toEqual([]);

    expect((await postEvent(USD('w_c2', { amount: 6000, occurred_at: '2025-11-13T12:00:00Z', metadata: { payment_id: 'pay_w2' } }))).status).toBe(201);
    expect((await get('/v1/reports/deficits?currency=USD')).body.data.items).toEqual([]);
    expect((await runPayouts({ currency: 'USD', as_of: '2025-11-21' })).created).toBe(1);
    const payouts = (await get('/v1/payouts?restaurant_id=res_deficit&currency=USD')).body.data.items as Payout[];
    const last = payouts[payouts.length - 1];
    expect(last).toMatchObject({ amount: 2000, as_of: '2025-11-21', deficit_recovered: 4000 });
    expect(last?.items).toEqual(expect.arrayContaining([{ type: 'sale', amount: 6000 }, { type: 'dispute_hold', amount: -4000 }]));
    expect(last?.items.reduce((sum, item) => sum + item.amount, 0)).toBe(2000);
    expect((await get('/v1/restaurants/res_deficit/balance?currency=USD')).body.data.available).toBe(0);
  });
});
