import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
const eventsUrl = () => `${server.url}/v1/processor/events`;

beforeAll(async () => {
  server = await startTestServer({ poolSize: 20 });
});
afterAll(() => server.close());

async function storedEventCount(eventId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM processor_events WHERE event_id = ${eventId}`.execute(
    server.testDb.db,
  );
  return rows[0]?.n ?? -1;
}

describe('the docs/ledger.md example over REST', () => {
  it('answers 201 the first time, 200 idempotent on replay, 409 on a changed replay, and the balance adds up', async () => {
    const created = await request(eventsUrl(), { body: EXAMPLE_EVENT });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ success: true, data: { idempotent: false, event: { event_id: 'evt_0001' } } });
    expect(created.body.data.entries).toHaveLength(2);

    const replay = await request(eventsUrl(), { body: EXAMPLE_EVENT });
    expect(replay.status).toBe(200);
    expect(replay.body.data).toMatchObject({ idempotent: true, entries: created.body.data.entries });

    const changed = await request(eventsUrl(), { body: { ...EXAMPLE_EVENT, amount: 12001 } });
    expect(changed.status).toBe(409);
    expect(changed.body.error).toEqual({
      code: 'EVENT_ID_CONFLICT',
      message: expect.stringContaining('evt_0001'),
      details: { event_id: 'evt_0001', differing_fields: ['amount'] },
    });

    const pending = await request(`${server.url}/v1/restaurants/res_001/balance?currency=PEN&as_of=2025-12-26`);
    expect(pending.body.data).toMatchObject({ available: 0, pending: 11400, total: 11400, last_event_at: '2025-12-20T15:10:00.000Z' });
    const matured = await request(`${server.url}/v1/restaurants/res_001/balance?currency=PEN&as_of=2025-12-27T15:10:00Z`);
    expect(matured.body.data).toMatchObject({ available: 11400, pending: 0, total: 11400, as_of: '2025-12-27T15:10:00.000Z' });
  });

  it('wraps every answer in the envelope with a request id, also sent as x-request-id', async () => {
    const response = await request(`${server.url}/v1/restaurants/res_001/balance?currency=PEN`, {
      headers: { 'x-request-id': 'trace-abc.123' },
    });
    expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(response.body.meta).toEqual({ request_id: 'trace-abc.123', timestamp: expect.any(String) });
    const generated = await request(`${server.url}/v1/nowhere`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.body.meta.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('x-request-id')).toBe(generated.body.meta.request_id);
  });
});

describe('bad input is answered in the envelope with a stable code and writes nothing', () => {
  const cases: Array<[string, number, string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }]> = [
    ['malformed JSON', 400, 'MALFORMED_JSON', { rawBody: '{"event_id": "evt_x",' }],
    ['a bare JSON string', 400, 'MALFORMED_JSON', { rawBody: '"evt_x"' }],
    ['a JSON array', 422, 'VALIDATION_ERROR', { body: [EXAMPLE_EVENT] }],
    ['a non-JSON content type', 415, 'UNSUPPORTED_MEDIA_TYPE', { rawBody: 'event_id=evt_x', headers: { 'content-type': 'text/plain' } }],
    ['a body over 1 MiB', 413, 'PAYLOAD_TOO_LARGE', { body: { ...EXAMPLE_EVENT, metadata: { blob: 'x'.repeat(1_100_000) } } }],
    ['a missing field', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, restaurant_id: undefined } }],
    ['an unknown field', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, amount_cents: 12000 } }],
    ['an amount above 2^53-1', 422, 'VALIDATION_ERROR', { rawBody: JSON.stringify(EXAMPLE_EVENT).replace('12000', '9007199254740993') }],
    ['a fractional amount', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, amount: 120.5 } }],
    ['an amount that parsing would round to 12000', 422, 'VALIDATION_ERROR', { rawBody: JSON.stringify(EXAMPLE_EVENT).replace('12000', '12000.0000000000001') }],
    ['an amount that parsing would round up to 2^53-1', 422, 'VALIDATION_ERROR', { rawBody: JSON.stringify(EXAMPLE_EVENT).replace('12000', '9007199254740990.6') }],
    ['an amount sent as a string', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, amount: '12000' } }],
    ['a fee sent as a boolean', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, fee: true } }],
    ['a currency sent as an array', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, currency: ['PEN'] } }],
    ['metadata over 16 KiB', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, metadata: { note: 'x'.repeat(17_000) } } }],
    ['an unknown event type', 422, 'EVENT_INVALID_TYPE', { body: { ...EXAMPLE_EVENT, event_type: 'chargeback' } }],
    ['a fee above the amount', 422, 'EVENT_INVALID_FEE', { body: { ...EXAMPLE_EVENT, fee: 12001 } }],
    ['an occurred_at in the future', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, occurred_at: '2999-01-01T00:00:00Z' } }],
    ['an occurred_at in year 1 (drivers misread it as 2001)', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, occurred_at: '0001-01-01T00:00:00Z' } }],
    ['a NUL character in a metadata value', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, metadata: { note: 'a\u0000b' } } }],
    ['a NUL character in a metadata key', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, metadata: { 'a\u0000': 1 } } }],
    ['an unpaired surrogate in metadata', 422, 'VALIDATION_ERROR', { body: { ...EXAMPLE_EVENT, metadata: { note: '\ud800' } } }],
    [
      'a body nested 100,000 levels deep',
      422,
      'VALIDATION_ERROR',
      { rawBody: JSON.stringify(EXAMPLE_EVENT).replace('"rsv_987"', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`) },
    ],
    ['a UTF-16 charset', 415, 'UNSUPPORTED_MEDIA_TYPE', { body: EXAMPLE_EVENT, headers: { 'content-type': 'application/json; charset=utf-16' } }],
    ['a plain body labelled content-encoding: br', 400, 'MALFORMED_JSON', { body: EXAMPLE_EVENT, headers: { 'content-encoding': 'br' } }],
    ['a plain body labelled content-encoding: gzip', 400, 'MALFORMED_JSON', { body: EXAMPLE_EVENT, headers: { 'content-encoding': 'gzip' } }],
    ['a plain body labelled content-encoding: deflate', 400, 'MALFORMED_JSON', { body: EXAMPLE_EVENT, headers: { 'content-encoding': 'deflate' } }],
  ];

  it.each(cases)('%s → %i %s', async (_name, status, code, init) => {
    // A GET first: the OpenAPI bridge used to loosen shared schemas after one (see docs/api.md, REST routes and the OpenAPI document).
    await request(`${server.url}/v1/restaurants/res_001/balance?currency=PEN`);
    const eventId = `evt_bad_${code}_${status}_${Math.random().toString(36).slice(2)}`;
    const body = init.body !== undefined && !Array.isArray(init.body) ? { ...(init.body as object), event_id: eventId } : init.body;
    const response = await request(eventsUrl(), { ...init, ...(init.body !== undefined && { body }) });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, error: { code, message: expect.any(String), details: expect.any(Object) } });
    expect(response.body.meta.request_id).toBe(response.headers.get('x-request-id'));
    expect(await storedEventCount(eventId)).toBe(0);
  });

  it('names each offending field in VALIDATION_ERROR details', async () => {
    const response = await request(eventsUrl(), { body: { ...EXAMPLE_EVENT, event_id: 'evt_fields', amount: -1, currency: 'pen' } });
    expect(response.status).toBe(422);
    const fields = response.body.error.details.issues.map((issue: { field: string }) => issue.field);
    expect(fields).toEqual(expect.arrayContaining(['amount', 'currency']));
  });

  it('refuses a body that is not valid UTF-8 with 400 MALFORMED_JSON', async () => {
    const bytes = Buffer.concat([
      Buffer.from(JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_bad_utf8' }).replace('rsv_987', 'rsv_')),
    ]);
    const at = bytes.indexOf('rsv_') + 4;
    const body = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff, 0xfe]), bytes.subarray(at)]);
    const response = await fetch(eventsUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('MALFORMED_JSON');
    expect(await storedEventCount('evt_bad_utf8')).toBe(0);
  });

  it('accepts a media type in capitals and an explicit UTF-8 charset', async () => {
    for (const [i, contentType] of ['APPLICATION/JSON', 'application/json; charset=UTF-8'].entries()) {
      const response = await request(eventsUrl(), {
        body: { ...EXAMPLE_EVENT, event_id: `evt_ctype_${i}` },
        headers: { 'content-type': contentType },
      });
      expect(response.status).toBe(201);
    }
  });

  it('answers HEAD like GET without a body, and HEAD on a POST-only route with 404', async () => {
    const known = await fetch(`${server.url}/v1/restaurants/res_001/balance?currency=PEN`, { method: 'HEAD' });
    expect(known.status).toBe(200);
    const unknown = await fetch(`${server.url}/v1/restaurants/res_nope/balance?currency=PEN`, { method: 'HEAD' });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('');
    expect((await fetch(eventsUrl(), { method: 'HEAD' })).status).toBe(404);
  });

  it('answers unknown routes and methods with ROUTE_NOT_FOUND', async () => {
    for (const [method, path] of [['GET', '/v1/nothing'], ['DELETE', '/v1/processor/events'], ['GET', '/nothing']] as const) {
      const response = await request(`${server.url}${path}`, { method });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('ROUTE_NOT_FOUND');
    }
  });
});

describe('concurrent HTTP deliveries', () => {
  it('of one event give exactly one 201 and 49 idempotent 200s, with one set of entries', async () => {
    const body = { ...EXAMPLE_EVENT, event_id: 'evt_http_race' };
    const responses = await Promise.all(Array.from({ length: 50 }, () => request(eventsUrl(), { body })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200 && r.body.data.idempotent === true)).toHaveLength(49);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ledger_entries le JOIN processor_events pe ON pe.id = le.processor_event_id
      WHERE pe.event_id = 'evt_http_race'`.execute(server.testDb.db);
    expect(rows[0]?.n).toBe(2);
  });
});

describe('requests the HTTP parser refuses', () => {
  /** Sends raw bytes and returns the whole answer as text. */
  async function rawExchange(text: string): Promise<string> {
    const { port } = new URL(server.url);
    const { connect } = await import('node:net');
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  it.each([
    ['a malformed header line', 'GET /health HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['headers over the size limit', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  ])('answers %s in the envelope with a request id', async (_name, raw, status, code) => {
    const answer = await rawExchange(raw);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`);
    const envelope = JSON.parse(body) as { success: boolean; error: { code: string }; meta: { request_id: string } };
    expect(envelope).toMatchObject({ success: false, error: { code } });
    expect(head).toContain(`x-request-id: ${envelope.meta.request_id}`);
  });
});
