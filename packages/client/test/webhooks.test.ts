import { EXAMPLE_EVENT, newWebhookSecret, request, signedHeaders, startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/index.ts';

const SECRET = newWebhookSecret();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ webhookSecrets: [SECRET] });
});
afterAll(() => server.close());

const post = (body: string, headers: Record<string, string>) => request(`${server.url}/v1/processor/events`, { rawBody: body, headers });

describe('signWebhook', () => {
  it('signs an event the server accepts at POST /v1/processor/events', async () => {
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_sdk_signed' });
    const response = await post(body, { ...signWebhook({ secret: SECRET, body }) });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ data: { idempotent: false } });
  });

  it('is refused for a body changed after signing', async () => {
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_sdk_tampered' });
    const headers = signWebhook({ secret: SECRET, body });
    const response = await post(body.replace(`"amount":${EXAMPLE_EVENT.amount}`, `"amount":${EXAMPLE_EVENT.amount + 1}`), { ...headers });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
  });

  it('signs exactly as the server test suite does for the same id and time', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    const body = '{"event_id":"evt_same"}';
    expect(signWebhook({ secret: SECRET, body, id: 'msg_same', timestamp: at })).toEqual(signedHeaders(body, SECRET, { at, id: 'msg_same' }));
  });
});
