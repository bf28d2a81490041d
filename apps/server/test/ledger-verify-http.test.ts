import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_EVENT, request, sealLedger, startTestServer, tamperAsSuperuser, type TestServer } from './support/test-server.ts';

const API_KEY = 'key_verify';
const auth = { authorization: `Bearer ${API_KEY}` };

/** Four charges (eight entries) sealed in blocks of three: entries 1–3, 4–6, 7–8. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY], payoutWorker: false });
  for (let i = 0; i < 4; i += 1) {
    const event = { ...EXAMPLE_EVENT, event_id: `evt_verify_${i}`, restaurant_id: `res_verify_${i % 2}` };
    expect((await request(`${server.url}/v1/processor/events`, { body: event })).status).toBe(201);
  }
  await sealLedger(server, 3);
});
afterAll(() => server.close());

describe('GET /v1/ledger/verify', () => {
  it('needs an API key', async () => {
    const response = await request(`${server.url}/v1/ledger/verify`);
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('AUTH_REQUIRED');
  });

  it('answers a sound chain in the envelope, with what is not sealed yet', async () => {
    const late = { ...EXAMPLE_EVENT, event_id: 'evt_verify_late', restaurant_id: 'res_verify_0' };
    expect((await request(`${server.url}/v1/processor/events`, { body: late })).status).toBe(201);
    const response = await request(`${server.url}/v1/ledger/verify`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      success: true,
      data: { ok: true, sealed_through_entry_id: '8', last_block: 3, blocks_checked: 3, entries_checked: 8, unsealed_entries: 2, first_broken: null },
    });
    expect(response.body.data.last_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(response.body.data.sealing_lag_seconds).toBeGreaterThanOrEqual(0);
    const part = await request(`${server.url}/v1/ledger/verify?from_block=2&to_block=2`, { headers: auth });
    expect(part.body.data).toMatchObject({ ok: true, blocks_checked: 1, entries_checked: 3 });
  });

  it.each([
    ['from_block=0', 'from_block'],
    ['from_block=abc', 'from_block'],
    ['from_block=1e1', 'from_block'],
    ['to_block=-1', 'to_block'],
    ['from_block=3&to_block=2', 'to_block'],
    ['from_block=99', 'from_block'],
    ['block=1', 'block'],
  ])('refuses %s with 422 VALIDATION_ERROR naming %s', async (query, field) => {
    const response = await request(`${server.url}/v1/ledger/verify?${query}`, { headers: auth });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    expect(response.body.error.details.issues.map((issue: { field: string }) => issue.field)).toEqual([field]);
  });

  it('names the block whose entry a superuser changed around the triggers', async () => {
    await tamperAsSuperuser(server, 'UPDATE ledger_entries SET amount_minor = amount_minor * 10 WHERE id = 5');
    const response = await request(`${server.url}/v1/ledger/verify`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.body.data).toMatchObject({
      ok: false,
      blocks_checked: 1,
      first_broken: { block: 2, reason: 'ENTRY_CHANGED', entries_sealed: 3, entries_found: 3 },
    });
    const integrity = await request(`${server.url}/v1/reports/integrity`, { headers: auth });
    expect(integrity.body.data.items.filter((row: { reason: string }) => row.reason === 'LEDGER_SEAL_BROKEN')).toHaveLength(1);
  });
});
