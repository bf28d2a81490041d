import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimits } from '../src/edge-limits.ts';
import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from './support/test-server.ts';

const KEYS = ['key_a', 'key_b', 'key_c'];
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * Windows are aligned to the clock (docs/api.md), so a test's few requests could straddle two of
 * them; an hour-long window makes that about one chance in ten thousand per test.
 */
const WINDOW_MS = 3_600_000;

async function start(rateLimits: Partial<RateLimits>): Promise<TestServer> {
  server = await startTestServer({ apiKeys: KEYS, limits: { rateLimits: { windowMs: WINDOW_MS, ...rateLimits } } });
  return server;
}

const balance = (s: TestServer, key: string) =>
  request(`${s.url}/v1/restaurants/res_001/balance?currency=PEN`, { headers: { authorization: `Bearer ${key}` } });
const webhook = (s: TestServer, eventId: string) => request(`${s.url}/v1/processor/events`, { body: { ...EXAMPLE_EVENT, event_id: eventId } });

describe('rate limits', () => {
  it('answer an API key over its limit with 429 RATE_LIMITED, Retry-After and the envelope; other keys go on', async () => {
    const s = await start({ perApiKey: 3, perIp: 100 });
    for (let i = 0; i < 3; i += 1) expect((await balance(s, 'key_a')).status).not.toBe(429);
    const limited = await balance(s, 'key_a');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      success: false,
      error: { code: 'RATE_LIMITED', details: { scope: 'api_key', limit: 3, window_ms: WINDOW_MS } },
      meta: { request_id: expect.any(String) },
    });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
    expect(limited.body.error.details.retry_after_s).toBe(retryAfter);
    expect(limited.headers.get('ratelimit')).toMatch(/"api_key"; r=0; t=\d+/);
    expect((await balance(s, 'key_b')).status).toBe(404);
  });

  it('count every key from one IP address, wrong keys too, against the per-IP limit', async () => {
    const s = await start({ perApiKey: 100, perIp: 4 });
    const statuses = [];
    for (const key of ['key_a', 'key_b', 'key_c', 'not_a_key', 'key_a']) statuses.push((await balance(s, key)).status);
    expect(statuses).toEqual([404, 404, 404, 401, 429]);
    const limited = await balance(s, 'key_b');
    expect(limited.body.error.details.scope).toBe('ip');
  });

  it('give the webhooks their own budget: API traffic does not starve them, and over theirs they are refused without writing', async () => {
    const s = await start({ perApiKey: 1, perIp: 1, webhookPerIp: 3 });
    await balance(s, 'key_a');
    expect((await balance(s, 'key_a')).status).toBe(429);
    for (let i = 0; i < 3; i += 1) expect((await webhook(s, `rl_evt_${i}`)).status).toBe(201);
    const limited = await webhook(s, 'rl_evt_over');
    expect(limited.status).toBe(429);
    expect(limited.body.error.details.scope).toBe('webhook_ip');
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM processor_events WHERE event_id = 'rl_evt_over'`.execute(s.testDb.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('leave the probes and the docs alone', async () => {
    const s = await start({ perApiKey: 1, perIp: 1, webhookPerIp: 1 });
    for (let i = 0; i < 5; i += 1) {
      expect((await request(`${s.url}/health`)).status).toBe(200);
      expect((await request(`${s.url}/ready`)).status).toBe(200);
      expect((await request(`${s.url}/openapi.json`)).status).toBe(200);
    }
  });

  it('apply to the tRPC endpoint too, answered in its own error shape', async () => {
    const s = await start({ perApiKey: 1, perIp: 100 });
    const call = () => request(`${s.url}/trpc/restaurants.get?input=${encodeURIComponent(JSON.stringify({ restaurant_id: 'res_x' }))}`, { headers: { authorization: 'Bearer key_a' } });
    expect((await call()).status).toBe(404);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(limited.body.error.data).toMatchObject({ code: 'RATE_LIMITED', httpStatus: 429 });
    expect(limited.headers.get('retry-after')).not.toBeNull();
  });
});

describe('page sizes', () => {
  it.each([
    ['/v1/payouts', 200],
    ['/v1/reports/balances?currency=PEN', 1000],
    ['/v1/restaurants/res_001/statement?currency=PEN', 1000],
  ])('of %s stop at %i rows: a larger limit is refused with 422 naming it', async (path, max) => {
    const s = await start({});
    const separator = path.includes('?') ? '&' : '?';
    const at = await request(`${s.url}${path}${separator}limit=${max}`, { headers: { authorization: 'Bearer key_a' } });
    expect(at.status).not.toBe(422);
    const over = await request(`${s.url}${path}${separator}limit=${max + 1}`, { headers: { authorization: 'Bearer key_a' } });
    expect(over.status).toBe(422);
    expect(over.body.error.details.issues).toEqual([expect.objectContaining({ field: 'limit' })]);
  });
});
