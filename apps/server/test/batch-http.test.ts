import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_EVENT,
  newWebhookSecret,
  request,
  signedHeaders,
  startTestServer,
  type TestServer,
} from './support/test-server.ts';

const SECRET = newWebhookSecret();
const API_KEY = 'key_batch_test';
let server: TestServer;
const batchUrl = () => `${server.url}/v1/processor/events/batch`;

beforeAll(async () => {
  server = await startTestServer({ webhookSecrets: [SECRET], apiKeys: [API_KEY] });
});
afterAll(() => server.close());

/** POSTs a signed batch, exactly as a processor would. */
function sendBatch(body: unknown, url = batchUrl()) {
  const rawBody = JSON.stringify(body);
  return request(url, { rawBody, headers: signedHeaders(rawBody, SECRET) });
}

async function storedCount(pattern: string): Promise<{ events: number; entries: number }> {
  const { rows } = await sql<{ events: number; entries: number }>`
    SELECT (SELECT count(*)::int FROM processor_events WHERE event_id LIKE ${pattern}) AS events,
           (SELECT count(*)::int FROM ledger_entries le JOIN processor_events pe ON pe.id = le.processor_event_id
             WHERE pe.event_id LIKE ${pattern}) AS entries`.execute(server.testDb.db);
  return rows[0] ?? { events: -1, entries: -1 };
}

const event = (eventId: string, overrides: Record<string, unknown> = {}) => ({ ...EXAMPLE_EVENT, event_id: eventId, ...overrides });

describe('POST /v1/processor/events/batch', () => {
  it('answers 200 with one result per event: 201 new, 200 replay, 409 conflict, 422 invalid, in batch order', async () => {
    expect((await sendBatch({ events: [event('hb_known')] })).status).toBe(200);
    const response = await sendBatch({
      events: [event('hb_new'), event('hb_known'), event('hb_known', { amount: 12001 }), event('hb_bad', { amount: 'lots' }), event('hb_type', { event_type: 'chargeback' })],
    });
    expect(response.status).toBe(200);
    expect(response.body.success).toBe(true);
    expect(response.body.data.results.map((r: Record<string, unknown>) => [r.index, r.event_id, r.status, r.success])).toEqual([
      [0, 'hb_new', 201, true],
      [1, 'hb_known', 200, true],
      [2, 'hb_known', 409, false],
      [3, 'hb_bad', 422, false],
      [4, 'hb_type', 422, false],
    ]);
    expect(response.body.data.summary).toEqual({ created: 1, idempotent: 1, conflicts: 1, rejected: 2 });
    const [created, replay, conflict, invalid, unknownType] = response.body.data.results;
    expect(created.data).toMatchObject({ idempotent: false, event: { event_id: 'hb_new' }, entries: [{ entry_type: 'sale' }, { entry_type: 'fee' }] });
    expect(replay.data.idempotent).toBe(true);
    expect(conflict.error).toEqual({ code: 'EVENT_ID_CONFLICT', message: expect.any(String), details: { event_id: 'hb_known', differing_fields: ['amount'] } });
    expect(invalid.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { issues: [{ field: 'amount' }] } });
    expect(unknownType.error.code).toBe('EVENT_INVALID_TYPE');
    expect(await storedCount('hb_%')).toEqual({ events: 2, entries: 4 });
  });

  it('refuses an unsigned or badly signed batch as a whole with 401 and writes nothing', async () => {
    const rawBody = JSON.stringify({ events: [event('hb_unsigned')] });
    const unsigned = await request(batchUrl(), { rawBody });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const forged = await request(batchUrl(), { rawBody, headers: signedHeaders(rawBody, newWebhookSecret()) });
    expect(forged.status).toBe(401);
    expect(await storedCount('hb_unsigned')).toEqual({ events: 0, entries: 0 });
  });

  it.each([
    ['no events', { events: [] }],
    ['1,001 events', { events: Array.from({ length: 1001 }, (_, i) => event(`hb_many_${i}`)) }],
    ['events that are not an array', { events: event('hb_obj') }],
    ['a field beside events', { events: [event('hb_extra')], source: 'x' }],
    ['no events field', { event: [event('hb_missing')] }],
  ])('refuses a batch with %s as a whole with 422 VALIDATION_ERROR and writes nothing', async (_case, body) => {
    const response = await sendBatch(body);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    expect(await storedCount('hb_many_%')).toEqual({ events: 0, entries: 0 });
  });

  it('records 1,000 events in one request', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => event(`hb_full_${i}`, { restaurant_id: `res_full_${i % 10}` }));
    const response = await sendBatch({ events });
    expect(response.status).toBe(200);
    expect(response.body.data.summary).toEqual({ created: 1000, idempotent: 0, conflicts: 0, rejected: 0 });
    expect(await storedCount('hb_full_%')).toEqual({ events: 1000, entries: 2000 });
  });

  it('is documented in /openapi.json with the per-event results', async () => {
    const document = (await request(`${server.url}/openapi.json`)).body;
    const operation = document.paths['/v1/processor/events/batch'].post;
    expect(operation.responses['200'].content['application/json'].schema.properties.data).toEqual({ $ref: '#/components/schemas/ProcessorEventBatchResult' });
    expect(operation.requestBody.content['application/json'].schema.properties.events.items.$ref).toBe('#/components/schemas/ProcessorEvent');
  });
});

describe('body limits', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ limits: { bodyBytesMax: 4 * 1024, batchBodyBytesMax: 16 * 1024 } });
  });
  afterAll(() => small.close());

  const padded = (eventId: string, bytes: number) => event(eventId, { metadata: { note: 'x'.repeat(bytes) } });

  it('give the batch route its own, larger limit', async () => {
    const body = { events: [padded('hb_lim_1', 3000), padded('hb_lim_2', 3000)] };
    const response = await request(`${small.url}/v1/processor/events/batch`, { body });
    expect(response.status).toBe(200);
    expect(response.body.data.summary.created).toBe(2);
    const single = await request(`${small.url}/v1/processor/events`, { body: padded('hb_lim_3', 5000) });
    expect(single.status).toBe(413);
    expect(single.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit_bytes: 4096 } });
  });

  it('answer a batch over its limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const body = { events: Array.from({ length: 6 }, (_, i) => padded(`hb_lim_big_${i}`, 3000)) };
    const response = await request(`${small.url}/v1/processor/events/batch`, { body });
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit_bytes: 16384 } });
  });

  it('also bound the bodies tRPC reads for the SDK', async () => {
    const body = { events: Array.from({ length: 6 }, (_, i) => padded(`hb_lim_trpc_${i}`, 3000)) };
    const response = await request(`${small.url}/trpc/events.ingestBatch`, { body });
    expect(response.status).toBe(413);
    expect(response.body.error.data.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
