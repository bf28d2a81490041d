import { startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createLedgerClient, type LedgerClient, type LedgerOutputs, ledgerErrorCode } from '../src/index.ts';

const API_KEY = 'key_sdk_disputes';
let server: TestServer;
let client: LedgerClient;

beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY] });
  client = createLedgerClient({ url: server.url, apiKey: API_KEY });
});
afterAll(() => server.close());

const base = { restaurant_id: 'res_sdk_dp', currency: 'PEN', occurred_at: '2025-12-20T15:10:00Z', fee: 0 };

describe('disputes and deficits through the SDK', () => {
  it('opens a dispute, reads it back typed, lists the deficit, and throws typed lifecycle errors', async () => {
    await client.events.ingest.mutate({ ...base, event_id: 'sdk_dp_c', event_type: 'charge_succeeded', amount: 1000, metadata: { payment_id: 'pay_sdk' } });
    const opened = await client.events.ingest.mutate({
      ...base,
      event_id: 'sdk_dp_open',
      event_type: 'dispute_opened',
      amount: 1000,
      fee: 300,
      metadata: { dispute_id: 'sdk_dp', payment_id: 'pay_sdk' },
    });
    expect(opened.dispute).toEqual({ dispute_id: 'sdk_dp', status: 'open', charge_found: true });

    const dispute = await client.disputes.get.query({ dispute_id: 'sdk_dp' });
    expectTypeOf(dispute.status).toEqualTypeOf<'open' | 'won' | 'lost'>();
    expect(dispute).toMatchObject({ amount: 1000, fee: 300, charge: { event_id: 'sdk_dp_c', charge_found: true } });
    expect((await client.disputes.list.query({ restaurant_id: 'res_sdk_dp' })).items.map((d) => d.dispute_id)).toEqual(['sdk_dp']);

    // The sale (1000) matured long ago; the hold (1000) and the dispute fee (300) leave -300.
    const deficits: LedgerOutputs['reports']['deficits'] = await client.reports.deficits.query({ currency: 'PEN' });
    expect(deficits.items.map((item) => [item.restaurant_id, item.deficit])).toEqual([['res_sdk_dp', 300]]);

    const notOpen = await client.events.ingest
      .mutate({ ...base, event_id: 'sdk_dp_won', event_type: 'dispute_won', amount: 1000, metadata: { dispute_id: 'sdk_nope' } })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(ledgerErrorCode(notOpen)).toBe('DISPUTE_NOT_OPEN');
    const missing = await client.disputes.get.query({ dispute_id: 'sdk_missing' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(ledgerErrorCode(missing)).toBe('DISPUTE_NOT_FOUND');
  });
});
