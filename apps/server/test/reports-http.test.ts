import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await request(`${server.url}/v1/processor/events`, { body: EXAMPLE_EVENT });
});
afterAll(() => server.close());

describe('report routes', () => {
  it('serve Q1–Q4 in the envelope', async () => {
    const balances = await request(`${server.url}/v1/reports/balances?currency=PEN&as_of=2026-01-01`);
    expect(balances.body.data.items).toEqual([{ restaurant_id: 'res_001', available: 11400, last_event_at: '2025-12-20T15:10:00.000Z' }]);
    const top = await request(`${server.url}/v1/reports/top-restaurants?currency=PEN&days=366`);
    expect(top.body.data.items).toEqual([{ rank: 1, restaurant_id: 'res_001', net_revenue: 11400, charges: 1, refunds: 0 }]);
    const eligible = await request(`${server.url}/v1/reports/payout-eligibility?currency=PEN&as_of=2026-01-01&min_amount=5000`);
    expect(eligible.body.data.items).toEqual([{ restaurant_id: 'res_001', amount: 11400 }]);
    const integrity = await request(`${server.url}/v1/reports/integrity`);
    expect(integrity.body).toMatchObject({ success: true, data: { healthy: true, items: [] } });
  });

  it.each([
    '/v1/reports/balances',
    '/v1/reports/balances?currency=PEN&limit=0',
    '/v1/reports/top-restaurants?currency=PEN&days=367',
    '/v1/reports/payout-eligibility?currency=PEN&as_of=soon',
    '/v1/reports/payout-eligibility?currency=PEN&as_of=0026-11-28',
    '/v1/reports/integrity?verbose=1',
  ])('refuse bad parameters: %s → 422', async (path) => {
    const response = await request(`${server.url}${path}`);
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('VALIDATION_ERROR');
  });
});
