import { startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createLedgerClient,
  isLedgerClientError,
  type LedgerClient,
  type LedgerErrorCode,
  type LedgerOutputs,
  ledgerErrorCode,
} from '../src/index.ts';

const API_KEY = 'key_sdk_payouts';
let server: TestServer;
let client: LedgerClient;

beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY] });
  client = createLedgerClient({ url: server.url, apiKey: API_KEY });
});
afterAll(() => server.close());

type PayoutRun = LedgerOutputs['payouts']['getRun'];

/** Polls the run until it is completed (or failed), at most 100 × 50 ms. */
async function waitForRun(runId: string): Promise<PayoutRun> {
  let last: PayoutRun | undefined;
  for (let i = 0; i < 100; i += 1) {
    last = await client.payouts.getRun.query({ run_id: runId });
    if (last.status === 'completed' || last.status === 'failed') return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} did not finish in 5 s: ${JSON.stringify(last)}`);
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

/** Two GBP restaurants paid by one run as of 2026-01-01; run once, on first use. */
let paidRun: Promise<{ queued: PayoutRun; finished: PayoutRun }> | undefined;
function runGbp(): Promise<{ queued: PayoutRun; finished: PayoutRun }> {
  paidRun ??= (async () => {
    for (const [i, restaurant] of ['res_sdk_po_1', 'res_sdk_po_2'].entries()) {
      await client.events.ingest.mutate({
        event_id: `evt_sdk_po_${i}`,
        event_type: 'charge_succeeded',
        occurred_at: '2025-12-01T10:00:00Z',
        restaurant_id: restaurant,
        currency: 'GBP',
        amount: 10_000 + i,
        fee: 300,
      });
    }
    const queued = await client.payouts.run.mutate({ currency: 'GBP', as_of: '2026-01-01' });
    return { queued, finished: await waitForRun(queued.run_id) };
  })();
  return paidRun;
}

// Runs finish in the background: allow for a loaded machine (the projects' default is 5 s).
describe('payouts through the SDK', { timeout: 20_000 }, () => {
  it('queues a run with payouts.run and reports it completed through payouts.getRun', async () => {
    const { queued, finished } = await runGbp();
    expect(queued).toMatchObject({ status: 'queued', currency: 'GBP', as_of: '2026-01-01', min_amount: 0, created: 0, cutoff: null });
    expect(finished).toMatchObject({
      run_id: queued.run_id,
      status: 'completed',
      created: 2,
      cutoff: '2026-01-01T23:59:59.999Z',
      skipped: { below_min_amount: 0, not_positive: 0, open_payout: 0, already_paid_for_as_of: 0 },
    });
  });

  it('lists payouts with filters and pages through them with payouts.list', async () => {
    await runGbp();
    const page = await client.payouts.list.query({ currency: 'GBP' });
    expect(page.items.map((p) => [p.restaurant_id, p.amount])).toEqual([
      ['res_sdk_po_1', 9_700],
      ['res_sdk_po_2', 9_701],
    ]);
    expect(page.next_cursor).toBeNull();
    const first = await client.payouts.list.query({ currency: 'GBP', limit: 1 });
    expect(first.items).toHaveLength(1);
    // Cursors are opaque: whatever the server issued, passed back unchanged.
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await client.payouts.list.query({ currency: 'GBP', limit: 1, cursor: first.next_cursor ?? undefined });
    expect(second.items.map((p) => p.restaurant_id)).toEqual(['res_sdk_po_2']);
    expect(second.next_cursor).toBeNull();
    expect(await client.payouts.list.query({ restaurant_id: 'res_sdk_po_2', status: 'paid' })).toEqual({ items: [], next_cursor: null });
  });

  it('returns a payout with its items through payouts.get and moves it with payouts.markProcessing', async () => {
    await runGbp();
    const [listed] = (await client.payouts.list.query({ restaurant_id: 'res_sdk_po_1', currency: 'GBP' })).items;
    if (listed === undefined) throw new Error('no payout for res_sdk_po_1');
    const payout = await client.payouts.get.query({ payout_id: listed.payout_id });
    expect(payout).toEqual({ ...listed, status: 'created' });
    expect(payout.items).toEqual(expect.arrayContaining([{ type: 'sale', amount: 10_000 }, { type: 'fee', amount: -300 }]));

    const processing = await client.payouts.markProcessing.mutate({ payout_id: payout.payout_id });
    expect(processing).toMatchObject({ payout_id: payout.payout_id, status: 'processing', paid_at: null });
    await expect(client.payouts.markProcessing.mutate({ payout_id: payout.payout_id })).resolves.toEqual(processing);

    const paid = await client.events.ingest.mutate({
      event_id: `evt_sdk_paid_${payout.payout_id}`,
      event_type: 'payout_paid',
      occurred_at: new Date(Date.now() - 60_000).toISOString(),
      restaurant_id: payout.restaurant_id,
      currency: 'GBP',
      amount: payout.amount,
      fee: 0,
      metadata: { payout_id: payout.payout_id },
    });
    expect(paid.payout).toEqual({ payout_id: payout.payout_id, result: 'applied' });
    expect((await client.payouts.get.query({ payout_id: payout.payout_id })).status).toBe('paid');

    const conflict = await errorOf(client.payouts.markProcessing.mutate({ payout_id: payout.payout_id }));
    expect(ledgerErrorCode(conflict)).toBe('PAYOUT_STATUS_CONFLICT');
    if (!isLedgerClientError(conflict)) throw new Error('expected a ledger client error');
    expect(conflict.data?.httpStatus).toBe(409);
    expect(conflict.data?.details).toEqual({ payout_id: payout.payout_id, status: 'paid' });
  });

  it('throws typed errors with the same codes as REST', async () => {
    expect(ledgerErrorCode(await errorOf(client.payouts.get.query({ payout_id: '999999999' })))).toBe('PAYOUT_NOT_FOUND');
    expect(ledgerErrorCode(await errorOf(client.payouts.get.query({ payout_id: 'po_1' })))).toBe('PAYOUT_NOT_FOUND');
    expect(ledgerErrorCode(await errorOf(client.payouts.markProcessing.mutate({ payout_id: '999999999' })))).toBe('PAYOUT_NOT_FOUND');
    expect(ledgerErrorCode(await errorOf(client.payouts.getRun.query({ run_id: '999999999' })))).toBe('PAYOUT_RUN_NOT_FOUND');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const future = await errorOf(client.payouts.run.mutate({ currency: 'GBP', as_of: tomorrow }));
    expect(ledgerErrorCode(future)).toBe('VALIDATION_ERROR');
    if (!isLedgerClientError(future)) throw new Error('expected a ledger client error');
    expect(future.data?.httpStatus).toBe(422);
    expect(ledgerErrorCode(await errorOf(client.payouts.list.query({ limit: 0 })))).toBe('VALIDATION_ERROR');
    expect(ledgerErrorCode(await errorOf(client.payouts.list.query({ limit: 1000 })))).toBe('VALIDATION_ERROR');
  });

  it('refuses every payout procedure without the API key', async () => {
    const anonymous = createLedgerClient({ url: server.url });
    expect(ledgerErrorCode(await errorOf(anonymous.payouts.list.query({})))).toBe('AUTH_REQUIRED');
    expect(ledgerErrorCode(await errorOf(anonymous.payouts.run.mutate({ currency: 'GBP', as_of: '2026-01-01' })))).toBe('AUTH_REQUIRED');
  });

  it('takes the payout types from the server router', () => {
    expectTypeOf<LedgerOutputs['payouts']['get']['status']>().toEqualTypeOf<'created' | 'processing' | 'paid' | 'failed'>();
    expectTypeOf<LedgerOutputs['payouts']['list']['next_cursor']>().toEqualTypeOf<string | null>();
    expectTypeOf<PayoutRun['status']>().toEqualTypeOf<'queued' | 'running' | 'completed' | 'failed'>();
    expectTypeOf<'PAYOUT_NOT_FOUND'>().toExtend<LedgerErrorCode>();
    expectTypeOf<'PAYOUT_RUN_NOT_FOUND'>().toExtend<LedgerErrorCode>();
    expectTypeOf<'PAYOUT_STATUS_CONFLICT'>().toExtend<LedgerErrorCode>();
  });
});
