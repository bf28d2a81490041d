import { createScheduledRuns } from '@restaurant-ledger/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const patch = (restaurantId: string, body: unknown) => request(`${server.url}/v1/restaurants/${restaurantId}`, { method: 'PATCH', body });

describe('PATCH /v1/restaurants/{id} with settlement settings', () => {
  it('sets and shows reserve_percent, reserve_days, payout_schedule and payout_minimum (defaults: none, manual, {})', async () => {
    const created = await request(`${server.url}/v1/restaurants`, { body: { restaurant_id: 'res_set_1' } });
    expect(created.body.data).toMatchObject({ reserve_percent: 0, reserve_days: 0, payout_schedule: { kind: 'manual' }, payout_minimum: {} });
    const settings = { reserve_percent: 1000, reserve_days: 30, payout_schedule: { kind: 'weekly', weekday: 1 }, payout_minimum: { PEN: 20000, USD: 0 } };
    const updated = await patch('res_set_1', settings);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ success: true, data: { restaurant_id: 'res_set_1', maturity_days: 7, ...settings } });
    expect((await request(`${server.url}/v1/restaurants/res_set_1`)).body.data).toEqual(updated.body.data);
    // Only what is sent changes; payout_minimum is replaced whole.
    const monthly = await patch('res_set_1', { payout_schedule: { kind: 'monthly', day: 28 }, payout_minimum: { MXN: 1 } });
    expect(monthly.body.data).toMatchObject({ reserve_percent: 1000, reserve_days: 30, payout_schedule: { kind: 'monthly', day: 28 }, payout_minimum: { MXN: 1 } });
    expect((await patch('res_set_1', { payout_schedule: { kind: 'daily' } })).body.data.payout_schedule).toEqual({ kind: 'daily' });
  });

  it.each([
    [{ reserve_percent: 10001 }, 'reserve_percent'],
    [{ reserve_percent: -1 }, 'reserve_percent'],
    [{ reserve_percent: 12.5 }, 'reserve_percent'],
    [{ reserve_percent: '1000' }, 'reserve_percent'],
    [{ reserve_days: 366 }, 'reserve_days'],
    [{ reserve_days: null }, 'reserve_days'],
    [{ payout_schedule: { kind: 'yearly' } }, 'payout_schedule.kind'],
    [{ payout_schedule: { kind: 'weekly' } }, 'payout_schedule.weekday'],
    [{ payout_schedule: { kind: 'weekly', weekday: 0 } }, 'payout_schedule.weekday'],
    [{ payout_schedule: { kind: 'weekly', weekday: 8 } }, 'payout_schedule.weekday'],
    [{ payout_schedule: { kind: 'monthly', day: 29 } }, 'payout_schedule.day'],
    [{ payout_schedule: { kind: 'monthly', day: 0 } }, 'payout_schedule.day'],
    [{ payout_schedule: { kind: 'daily', weekday: 1 } }, 'payout_schedule.weekday'],
    [{ payout_schedule: 'daily' }, 'payout_schedule'],
    [{ payout_minimum: { pen: 100 } }, 'payout_minimum.pen'],
    [{ payout_minimum: { PEN: -1 } }, 'payout_minimum.PEN'],
    [{ payout_minimum: { PEN: 9007199254740992 } }, 'payout_minimum.PEN'],
    [{ payout_minimum: { PEN: 1.5 } }, 'payout_minimum.PEN'],
    [{ payout_minimum: [100] }, 'payout_minimum'],
    [{ reserve_pct: 100 }, 'reserve_pct'],
  ])('refuses %j with 422 VALIDATION_ERROR naming %s, and changes nothing', async (body, field) => {
    await request(`${server.url}/v1/restaurants`, { body: { restaurant_id: 'res_set_bad' } });
    const before = (await request(`${server.url}/v1/restaurants/res_set_bad`)).body.data;
    const response = await patch('res_set_bad', { name: 'Kept', ...body });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    expect(response.body.error.details.issues.map((issue: { field: string }) => issue.field)).toContain(field);
    expect((await request(`${server.url}/v1/restaurants/res_set_bad`)).body.data).toEqual(before);
  });

  it('answers 404 RESTAURANT_NOT_FOUND for an unknown restaurant', async () => {
    const response = await patch('res_set_missing', { reserve_percent: 100 });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('RESTAURANT_NOT_FOUND');
  });
});

describe('a reserve over HTTP', () => {
  it('writes reserve_hold and reserve_release on the next charge, and the balance shows reserved (the docs example)', async () => {
    await request(`${server.url}/v1/restaurants`, { body: { restaurant_id: 'res_set_rsv', maturity_days: 7 } });
    await patch('res_set_rsv', { reserve_percent: 1000, reserve_days: 30 });
    const charge = { ...EXAMPLE_EVENT, event_id: 'evt_set_rsv', restaurant_id: 'res_set_rsv', occurred_at: '2025-12-01T10:00:00Z', amount: 10000, fee: 300 };
    const recorded = await request(`${server.url}/v1/processor/events`, { body: charge });
    expect(recorded.status).toBe(201);
    expect(recorded.body.data.entries.map((e: { entry_type: string; amount: number; available_at: string }) => [e.entry_type, e.amount, e.available_at])).toEqual([
      ['sale', 10000, '2025-12-08T10:00:00.000Z'],
      ['fee', -300, '2025-12-08T10:00:00.000Z'],
      ['reserve_hold', -1000, '2025-12-08T10:00:00.000Z'],
      ['reserve_release', 1000, '2026-01-07T10:00:00.000Z'],
    ]);
    const balance = async (asOf: string) => (await request(`${server.url}/v1/restaurants/res_set_rsv/balance?currency=PEN&as_of=${asOf}`)).body.data;
    expect(await balance('2025-12-01T10:00:00Z')).toMatchObject({ available: 0, pending: 8700, reserved: 1000, total: 9700 });
    expect(await balance('2025-12-08T10:00:00Z')).toMatchObject({ available: 8700, pending: 0, reserved: 1000, total: 9700 });
    expect(await balance('2026-01-07T10:00:00Z')).toMatchObject({ available: 9700, pending: 0, reserved: 0, total: 9700 });
  });
});

describe('GET /v1/payouts/runs', () => {
  it('lists scheduled runs with how they were created, their restaurant and scheduled date, one page at a time', async () => {
    await request(`${server.url}/v1/restaurants`, { body: { restaurant_id: 'res_set_sched', payout_schedule: { kind: 'daily' } } });
    for (const currency of ['PEN', 'USD']) {
      await request(`${server.url}/v1/processor/events`, { body: { ...EXAMPLE_EVENT, event_id: `evt_set_sched_${currency}`, restaurant_id: 'res_set_sched', currency } });
    }
    await createScheduledRuns(server.ledger);
    const today = new Date().toISOString().slice(0, 10);
    const first = await request(`${server.url}/v1/payouts/runs?trigger=schedule&restaurant_id=res_set_sched&limit=1`);
    expect(first.status).toBe(200);
    expect(first.body.data.items).toEqual([
      expect.objectContaining({ trigger: 'schedule', restaurant_id: 'res_set_sched', currency: 'PEN', scheduled_date: today, as_of: today, min_amount: 0 }),
    ]);
    const second = await request(`${server.url}/v1/payouts/runs?trigger=schedule&restaurant_id=res_set_sched&limit=1&cursor=${first.body.data.next_cursor}`);
    expect(second.body.data.items.map((run: { currency: string }) => run.currency)).toEqual(['USD']);
    const runId = first.body.data.items[0].run_id;
    expect((await request(`${server.url}/v1/payouts/runs/${runId}`)).body.data).toMatchObject({ trigger: 'schedule', scheduled_date: today });
    const manual = await request(`${server.url}/v1/payouts/runs?trigger=manual`);
    expect(manual.body.data.items.every((run: { restaurant_id: string | null }) => run.restaurant_id === null)).toBe(true);
  });

  it.each([
    ['trigger=cron', 'trigger'],
    ['scheduled_date=2025-13-01', 'scheduled_date'],
    ['limit=0', 'limit'],
    ['currency=pen', 'currency'],
    ['status=queued', 'status'],
  ])('refuses ?%s with 422 VALIDATION_ERROR naming %s', async (query, field) => {
    const response = await request(`${server.url}/v1/payouts/runs?${query}`);
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('VALIDATION_ERROR');
    expect(response.body.error.details.issues.map((issue: { field: string }) => issue.field)).toContain(field);
  });

  it('refuses a cursor issued for other filters with 422 CURSOR_INVALID', async () => {
    const first = await request(`${server.url}/v1/payouts/runs?trigger=schedule&limit=1`);
    const response = await request(`${server.url}/v1/payouts/runs?trigger=manual&limit=1&cursor=${first.body.data.next_cursor}`);
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('CURSOR_INVALID');
  });
});
