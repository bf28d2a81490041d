import { startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createLedgerClient, type LedgerInputs, type LedgerOutputs, ledgerErrorCode } from '../src/index.ts';

const API_KEY = 'key_sdk_batch';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY] });
});
afterAll(() => server.close());

const charge = (eventId: string, amount = 5000) =>
  ({
    event_id: eventId,
    event_type: 'charge_succeeded',
    occurred_at: '2025-12-20T15:10:00Z',
    restaurant_id: 'res_sdk_batch',
    currency: 'USD',
    amount,
  }) as const;

describe('ledger.events.ingestBatch', () => {
  it('records a batch and returns one result per event, with the status the single route would give it', async () => {
    const ledger = createLedgerClient({ url: server.url, apiKey: API_KEY });
    const first = await ledger.events.ingestBatch.mutate({ events: [charge('sdk_b1'), charge('sdk_b2')] });
    expect(first.summary).toEqual({ created: 2, idempotent: 0, conflicts: 0, rejected: 0 });
    const second = await ledger.events.ingestBatch.mutate({ events: [charge('sdk_b1'), charge('sdk_b2', 1)] });
    expect(second.results.map((r) => [r.event_id, r.status, r.data?.idempotent ?? r.error?.code])).toEqual([
      ['sdk_b1', 200, true],
      ['sdk_b2', 409, 'EVENT_ID_CONFLICT'],
    ]);
  });

  it('types its input as processor events and its output from the router', () => {
    expectTypeOf<LedgerInputs['events']['ingestBatch']['events'][number]>().toEqualTypeOf<LedgerInputs['events']['ingest']>();
    expectTypeOf<LedgerOutputs['events']['ingestBatch']['results'][number]['data']>().toEqualTypeOf<LedgerOutputs['events']['ingest'] | undefined>();
  });

  it('throws a typed RATE_LIMITED once its API key is over the limit', async () => {
    const limited = await startTestServer({ apiKeys: [API_KEY], limits: { rateLimits: { perApiKey: 2 } } });
    try {
      // No retries: rate-limit windows are aligned to the clock, so a retry after Retry-After can land
      // in the next window and succeed, which is right for a client and not what this test is about.
      const busy = createLedgerClient({ url: limited.url, apiKey: API_KEY, retry: false });
      await busy.events.ingestBatch.mutate({ events: [charge('sdk_rl_1')] });
      await busy.events.ingestBatch.mutate({ events: [charge('sdk_rl_2')] });
      const error = await busy.events.ingestBatch.mutate({ events: [charge('sdk_rl_3')] }).catch((e: unknown) => e);
      expect(ledgerErrorCode(error)).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});
