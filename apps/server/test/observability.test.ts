import { createTestDatabase, type TestDatabase } from '@restaurant-ledger/core/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import {
  EXAMPLE_EVENT,
  newWebhookSecret,
  request,
  signedHeaders,
  startTestServer,
  type TestServer,
} from './support/test-server.ts';

const API_KEY = 'key_observability_0123456789';
const SECRET = newWebhookSecret();
/** Stands for anything a payload may carry that must never reach a log (card data, names…). */
const MARKER = 'PAYLOAD-MARKER-4111111111111111';

/** A logger that writes its JSON lines into an array, configured as in production. */
function capturingLogger(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger('debug', { write: (line: string) => void lines.push(line) }) };
}

const signedEvent = (s: TestServer, body: unknown) => {
  const rawBody = JSON.stringify(body);
  return request(`${s.url}/v1/processor/events`, { rawBody, headers: signedHeaders(rawBody, SECRET) });
};

describe('logs', () => {
  const captured = capturingLogger();
  let server: TestServer;
  let broken: TestDatabase;
  let brokenServer: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ apiKeys: [API_KEY], webhookSecrets: [SECRET], logger: captured.logger });
    broken = await createTestDatabase();
    await sql`DROP TABLE ledger_entries CASCADE`.execute(broken.db);
    brokenServer = await startTestServer({ testDb: broken, logger: captured.logger });
  });
  afterAll(async () => {
    await server.close();
    await brokenServer.close();
    await broken.close();
  });

  it('carry the request id on every line, name the route, and never show keys, signatures or payloads', async () => {
    const withMarker = { ...EXAMPLE_EVENT, event_id: 'obs_evt', metadata: { note: MARKER } };
    const responses = [
      await signedEvent(server, withMarker),
      await request(`${server.url}/v1/processor/events`, { body: withMarker, headers: { 'webhook-id': 'x', 'webhook-timestamp': '1', 'webhook-signature': `v1,${MARKER}` } }),
      await signedEvent(server, { ...withMarker, fee: 'a fee of ' + MARKER }),
      await request(`${server.url}/v1/restaurants/res_001/balance?currency=PEN`, { headers: { authorization: `Bearer ${API_KEY}` } }),
      await request(`${server.url}/v1/restaurants/res_001/balance?currency=PEN`, { headers: { authorization: `Bearer ${MARKER}` } }),
      // An internal error: the driver's error carries the query parameters, the payload among them.
      await request(`${brokenServer.url}/v1/processor/events`, { body: withMarker }),
    ];
    expect(responses.map((r) => r.status)).toEqual([201, 401, 422, 200, 401, 500]);
    const lines = captured.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const ids = responses.map((r) => r.headers.get('x-request-id'));
    expect(lines.every((line) => typeof line.request_id === 'string')).toBe(true);
    const routes = ['events', 'events', 'events', 'balance', 'balance', 'events'].map((route) =>
      route === 'events' ? '/v1/processor/events' : '/v1/restaurants/{restaurant_id}/balance',
    );
    for (const [position, id] of ids.entries()) {
      const summary = lines.find((line) => line.request_id === id && line.msg === 'request');
      expect(summary).toMatchObject({ method: expect.any(String), route: routes[position], status: responses[position]?.status, duration_ms: expect.any(Number) });
    }
    expect(lines.find((line) => line.request_id === ids[5] && line.level === 50 && line.err !== undefined)).toBeDefined();
    const everything = captured.lines.join('\n');
    expect(everything).not.toContain(MARKER);
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain(SECRET.slice(6));
  });
});

/** The value of one Prometheus sample, e.g. sample(text, 'ledger_events_total{event_type="x",outcome="y"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ apiKeys: [API_KEY] });
  });
  afterAll(() => server.close());

  const metrics = async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return response.text();
  };

  it('counts events by type and outcome, single and batch', async () => {
    const post = (body: unknown) => request(`${server.url}/v1/processor/events`, { body });
    await post({ ...EXAMPLE_EVENT, event_id: 'm_1' });
    await post({ ...EXAMPLE_EVENT, event_id: 'm_1' });
    await post({ ...EXAMPLE_EVENT, event_id: 'm_1', amount: 12001 });
    await post({ ...EXAMPLE_EVENT, event_id: 'm_2', fee: 99999 });
    await post({ ...EXAMPLE_EVENT, event_id: 'm_3', event_type: 'chargeback' });
    await request(`${server.url}/v1/processor/events/batch`, {
      body: { events: [{ ...EXAMPLE_EVENT, event_id: 'm_4', event_type: 'refund_succeeded', amount: 100, fee: 0 }, { ...EXAMPLE_EVENT, event_id: 'm_1' }] },
    });
    const text = await metrics();
    const events = (type: string, outcome: string) => sample(text, `ledger_events_total{event_type="${type}",outcome="${outcome}"}`);
    expect(events('charge_succeeded', 'created')).toBe(1);
    expect(events('charge_succeeded', 'idempotent')).toBe(2);
    expect(events('charge_succeeded', 'conflict')).toBe(1);
    expect(events('charge_succeeded', 'rejected')).toBe(1);
    expect(events('unknown', 'rejected')).toBe(1);
    expect(events('refund_succeeded', 'created')).toBe(1);
  });

  it('times requests per route template, so ids in URLs do not multiply the series', async () => {
    for (const id of ['res_a', 'res_b', 'res_c']) {
      await request(`${server.url}/v1/restaurants/${id}/balance?currency=PEN`, { headers: { authorization: `Bearer ${API_KEY}` } });
    }
    await request(`${server.url}/no/such/path/${Math.random()}`);
    const text = await metrics();
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/v1/restaurants/{restaurant_id}/balance",status="404"}')).toBe(3);
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="(unmatched)",status="404"}')).toBeGreaterThanOrEqual(1);
    expect(text).not.toMatch(/res_a|no\/such/);
  });

  it('counts payout runs by outcome', async () => {
    await request(`${server.url}/v1/processor/events`, { body: { ...EXAMPLE_EVENT, event_id: 'm_payout', restaurant_id: 'res_m_payout', occurred_at: '2025-12-01T00:00:00Z' } });
    const run = await request(`${server.url}/v1/payouts/run`, { body: { currency: 'PEN', as_of: '2025-12-20' }, headers: { authorization: `Bearer ${API_KEY}` } });
    expect(run.status).toBe(202);
    let completed: number | undefined;
    for (let i = 0; i < 100 && completed === undefined; i += 1) {
      completed = sample(await metrics(), 'ledger_payout_runs_total{outcome="completed"}');
      if (completed === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(completed).toBe(1);
  });

  it('exposes the pool gauges and the process metrics, and needs the API key', async () => {
    const text = await metrics();
    for (const state of ['in_use', 'idle', 'waiting', 'max']) expect(sample(text, `ledger_db_pool_connections{state="${state}"}`)).toBeDefined();
    expect(text).toContain('process_cpu_seconds_total');
    expect((await request(`${server.url}/metrics`)).status).toBe(401);
  });
});

describe('GET /ready', () => {
  it('answers 503 while the server drains for shutdown', async () => {
    let draining = false;
    const server = await startTestServer({ isDraining: () => draining });
    try {
      expect((await request(`${server.url}/ready`)).status).toBe(200);
      draining = true;
      const response = await request(`${server.url}/ready`);
      expect(response.status).toBe(503);
      expect(response.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { reason: 'draining' } });
    } finally {
      await server.close();
    }
  });
});
