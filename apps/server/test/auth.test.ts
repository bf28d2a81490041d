import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_EVENT,
  newWebhookSecret as secret,
  request,
  signedHeaders as signWith,
  startTestServer,
  type TestServer,
} from './support/test-server.ts';

const CURRENT_SECRET = secret();
const NEXT_SECRET = secret();
const API_KEY = 'key_live_0123456789';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY, 'key_other'], webhookSecrets: [CURRENT_SECRET, NEXT_SECRET] });
});
afterAll(() => server.close());

function signedHeaders(body: string, options: { secret?: string; at?: Date; id?: string } = {}): Record<string, string> {
  return signWith(body, options.secret ?? CURRENT_SECRET, options);
}

async function eventStored(eventId: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM processor_events WHERE event_id = ${eventId}`.execute(
    server.testDb.db,
  );
  return rows[0]?.n === 1;
}

const webhook = (rawBody: string, headers: Record<string, string>) =>
  request(`${server.url}/v1/processor/events`, { rawBody, headers });

describe('webhook signatures (Standard Webhooks)', () => {
  it('accepts a correctly signed event', async () => {
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_signed' });
    const response = await webhook(body, signedHeaders(body));
    expect(response.status).toBe(201);
  });

  it('accepts a signature made with the second secret during a rotation', async () => {
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_rotated' });
    expect((await webhook(body, signedHeaders(body, { secret: NEXT_SECRET }))).status).toBe(201);
  });

  it('accepts a header carrying several signatures when one of them matches', async () => {
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_multi_sig' });
    const headers = signedHeaders(body);
    headers['webhook-signature'] = `v1,${Buffer.from('not-it').toString('base64')} ${headers['webhook-signature']}`;
    expect((await webhook(body, headers)).status).toBe(201);
  });

  const refusals: Array<[string, (body: string) => Record<string, string>, string]> = [
    ['no signature headers at all', () => ({}), 'missing'],
    ['a signature from an unknown secret', (body) => signedHeaders(body, { secret: secret() }), 'no signature matches'],
    ['a timestamp six minutes old', (body) => signedHeaders(body, { at: new Date(Date.now() - 6 * 60_000) }), '5 minutes'],
    ['a timestamp six minutes ahead', (body) => signedHeaders(body, { at: new Date(Date.now() + 6 * 60_000) }), '5 minutes'],
    [
      'a signature over a different body',
      (body) => signedHeaders(body.replace('12000', '99999')),
      'no signature matches',
    ],
    ['a non-numeric timestamp', (body) => ({ ...signedHeaders(body), 'webhook-timestamp': 'yesterday' }), '5 minutes'],
  ];

  it.each(refusals)('refuses %s with 401 WEBHOOK_SIGNATURE_INVALID and writes nothing', async (name, headersFor, reason) => {
    const eventId = `evt_refused_${name.replace(/\W+/g, '_')}`;
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: eventId });
    const response = await webhook(body, headersFor(body));
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(response.body.error.details.reason).toContain(reason);
    expect(await eventStored(eventId)).toBe(false);
  });

  it('checks the signature before validating the body, so unsigned garbage learns nothing', async () => {
    const response = await webhook(JSON.stringify({ nonsense: true }), {});
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
  });

  it('does not ask the webhook route for an API key', async () => {
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_no_key_needed' });
    const response = await webhook(body, { ...signedHeaders(body) });
    expect(response.status).toBe(201);
  });
});

describe('API keys', () => {
  const balanceUrl = () => `${server.url}/v1/restaurants/res_001/balance?currency=PEN`;

  it.each([
    ['no Authorization header', {}],
    ['a wrong key', { authorization: 'Bearer key_wrong' }],
    ['a key of another scheme', { authorization: `Basic ${API_KEY}` }],
    ['a prefix of a valid key', { authorization: `Bearer ${API_KEY.slice(0, -1)}` }],
  ])('refuses %s with 401 AUTH_REQUIRED', async (_name, headers) => {
    const response = await request(balanceUrl(), { headers });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('AUTH_REQUIRED');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="restaurant-ledger"');
    const head = await fetch(balanceUrl(), { method: 'HEAD', headers });
    expect(head.status).toBe(401);
  });

  it('accepts any configured key', async () => {
    for (const key of [API_KEY, 'key_other']) {
      const response = await request(balanceUrl(), { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
    }
  });

  it('refuses a write without a key and writes nothing', async () => {
    const response = await request(`${server.url}/v1/restaurants`, { body: { restaurant_id: 'res_keyless' } });
    expect(response.status).toBe(401);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM restaurants WHERE id = 'res_keyless'`.execute(
      server.testDb.db,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('leaves /health, /ready, /openapi.json and /docs open', async () => {
    for (const path of ['/health', '/ready', '/openapi.json']) {
      expect((await request(`${server.url}${path}`)).status).toBe(200);
    }
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('guards the tRPC endpoint too, including the tRPC form of the webhook', async () => {
    const query = encodeURIComponent(JSON.stringify({ restaurant_id: 'res_001', currency: 'PEN' }));
    const unauthenticated = await fetch(`${server.url}/trpc/restaurants.balance?input=${query}`);
    expect(unauthenticated.status).toBe(401);
    const ingest = await fetch(`${server.url}/trpc/events.ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_trpc_nokey' }),
    });
    expect(ingest.status).toBe(401);
    expect(await eventStored('evt_trpc_nokey')).toBe(false);
  });
});

describe('webhook signatures required, no API keys configured', () => {
  let signedOnly: TestServer;
  beforeAll(async () => {
    signedOnly = await startTestServer({ webhookSecrets: [CURRENT_SECRET] });
  });
  afterAll(() => signedOnly.close());

  it('closes the tRPC form of the webhook, so it is no unsigned way around the signature', async () => {
    const ingest = await fetch(`${signedOnly.url}/trpc/events.ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_trpc_unsigned', amount: 999_999 }),
    });
    expect(ingest.status).toBe(401);
    expect(((await ingest.json()) as { error: { data: { code: string } } }).error.data.code).toBe('AUTH_REQUIRED');
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM processor_events`.execute(signedOnly.testDb.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('still takes signed events on the REST route and leaves the other tRPC procedures open', async () => {
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_signed_only' });
    const signed = await request(`${signedOnly.url}/v1/processor/events`, { rawBody: body, headers: signedHeaders(body) });
    expect(signed.status).toBe(201);
    const query = encodeURIComponent(JSON.stringify({ restaurant_id: 'res_001', currency: 'PEN' }));
    expect((await fetch(`${signedOnly.url}/trpc/restaurants.balance?input=${query}`)).status).toBe(200);
  });
});
