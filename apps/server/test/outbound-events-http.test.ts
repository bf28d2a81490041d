import { startOutboundDeliverer, type OutboundDeliverer } from '@restaurant-ledger/core';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from './support/receiver.ts';
import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from './support/test-server.ts';

/**
 * Outbound events end to end: subscriptions through the REST routes, events from the webhook,
 * deliveries to a real receiving server that fails, hangs past the attempt timeout, then recovers.
 */
const API_KEY = 'outbound-test-key';
const auth = { authorization: `Bearer ${API_KEY}` };
let server: TestServer;
let receiver: Receiver;
let deliverer: OutboundDeliverer;
const logLines: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  server = await startTestServer({
    apiKeys: [API_KEY],
    logger,
    ledger: { outbound: { allowedHosts: ['127.0.0.1'], timeoutMs: 300, retryBaseMs: 40, retryCapMs: 200, maxAttempts: 6 } },
  });
  deliverer = startOutboundDeliverer(server.ledger, { owner: 'http-test', pollIntervalMs: 25, onError: (error) => logger.error({ err: error }, 'pass failed') });
});
afterAll(async () => {
  await deliverer.stop();
  await server.close();
  await receiver.close();
});

const post = (path: string, body: unknown) => request(`${server.url}${path}`, { body, headers: auth });
const get = (path: string) => request(`${server.url}${path}`, { headers: auth });

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('subscriptions', () => {
  it('refuses bad input with its code, in the envelope', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 422, 'SUBSCRIPTION_URL_NOT_ALLOWED'],
      [{ url: 'http://localhost:9/x' }, 422, 'SUBSCRIPTION_URL_NOT_ALLOWED'],
      [{ url: 'file:///etc/passwd' }, 422, 'SUBSCRIPTION_URL_NOT_ALLOWED'],
      [{ url: 'http://user:pw@127.0.0.1/x' }, 422, 'SUBSCRIPTION_URL_NOT_ALLOWED'],
      [{ url: 12 }, 422, 'VALIDATION_ERROR'],
      [{ url: receiver.url, event_types: ['payout.maybe'] }, 422, 'VALIDATION_ERROR'],
      [{ url: receiver.url, event_types: ['payout.paid', 'payout.paid'] }, 422, 'VALIDATION_ERROR'],
      [{ url: receiver.url, secret: 'not-a-secret' }, 422, 'VALIDATION_ERROR'],
      [{ url: receiver.url, extra: true }, 422, 'VALIDATION_ERROR'],
    ];
    for (const [body, status, code] of cases) {
      const response = await post('/v1/subscriptions', body);
      expect({ body, status: response.status, code: response.body.error?.code }).toEqual({ body, status, code });
      expect(response.body.success).toBe(false);
    }
    expect((await get('/v1/subscriptions/999999')).body.error.code).toBe('SUBSCRIPTION_NOT_FOUND');
    expect((await get('/v1/subscriptions/abc')).body.error.code).toBe('VALIDATION_ERROR');
    expect((await request(`${server.url}/v1/subscriptions`)).status).toBe(401);
  });
});

describe('deliveries to a receiver that fails, hangs, then recovers', () => {
  it('retries with backoff under one webhook-id, logs every attempt, and a replay resends it', async () => {
    const created = await post('/v1/subscriptions', { url: receiver.url, event_types: ['dispute.opened'], description: 'disputes desk' });
    expect(created.status).toBe(201);
    const subscription = created.body.data;
    expect(subscription.secret).toMatch(/^whsec_/);
    const secret: string = subscription.secret;
    for (const read of [await get('/v1/subscriptions'), await get(`/v1/subscriptions/${subscription.subscription_id}`)]) {
      expect(read.status).toBe(200);
      expect(JSON.stringify(read.body)).not.toContain(secret);
    }

    receiver.script.push({ status: 500 }, { status: 503 }, 'hang');
    const dispute = { ...EXAMPLE_EVENT, event_id: 'evt_out_dp_1', event_type: 'dispute_opened', restaurant_id: 'res_out', amount: 4000, fee: 0, metadata: { dispute_id: 'dp_out_1', charge_event_id: 'evt_none' } };
    expect((await request(`${server.url}/v1/processor/events`, { body: dispute })).status).toBe(201);

    const path = `/v1/subscriptions/${subscription.subscription_id}/deliveries`;
    const delivered = await until('the delivery', async () => {
      const page = await get(path);
      const [delivery] = page.body.data.items;
      return delivery?.status === 'delivered' ? delivery : undefined;
    });
    expect(delivered.log.map((attempt: { outcome: string; status_code: number | null }) => [attempt.outcome, attempt.status_code])).toEqual([
      ['http_error', 500],
      ['http_error', 503],
      ['timeout', null],
      ['delivered', 200],
    ]);
    expect(delivered.log[0].response_excerpt).toBe('failing on purpose (500)');
    expect(delivered.log[2].duration_ms).toBeGreaterThanOrEqual(290);
    // Backoff: each wait at least 0.8 × base × 2^(n−1) (40, 80, then the 200 ms cap ×0.8).
    const gaps = receiver.received.slice(1).map((r, i) => r.at - (receiver.received[i]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(30);
    expect(gaps[1]).toBeGreaterThanOrEqual(60);

    expect(new Set(receiver.received.map((r) => r.webhookId))).toEqual(new Set([delivered.webhook_id]));
    const verifier = new Webhook(secret);
    for (const r of receiver.received) {
      const payload = verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
      expect(payload).toMatchObject({ type: 'dispute.opened', data: { dispute_id: 'dp_out_1', restaurant_id: 'res_out', amount: 4000 } });
    }

    const replay = await post(`${path}/${delivered.delivery_id}/replay`, {});
    expect(replay.status).toBe(202);
    expect(replay.body.data).toMatchObject({ webhook_id: delivered.webhook_id, status: 'pending' });
    await until('the replay', async () => (receiver.received.length === 5 ? true : undefined));
    expect(receiver.received[4]?.webhookId).toBe(delivered.webhook_id);
    expect((await post(`${path}/999999/replay`, {})).body.error.code).toBe('DELIVERY_NOT_FOUND');

    // Rotation: a new secret, shown once; disabling stops replays.
    const rotated = await post(`/v1/subscriptions/${subscription.subscription_id}/rotate-secret`, {});
    expect(rotated.body.data.secret).not.toBe(secret);
    const disabled = await request(`${server.url}/v1/subscriptions/${subscription.subscription_id}`, { method: 'DELETE', headers: auth });
    expect(disabled.body.data.status).toBe('disabled');
    expect((await post(`${path}/${delivered.delivery_id}/replay`, {})).body.error.code).toBe('SUBSCRIPTION_DISABLED');

    const logs = logLines.join('\n');
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(rotated.body.data.secret);
  });
});
