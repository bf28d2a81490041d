import type { Payout, PayoutRun } from '@restaurant-ledger/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_EVENT, type JsonResponse, request, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;

// Runs finish in the background: allow for a loaded machine (the projects' default is 5 s).
const SLOW = { timeout: 20_000 };

beforeAll(async () => {
  server = await startTestServer({ poolSize: 20 });
});
afterAll(() => server.close());

const today = () => new Date().toISOString().slice(0, 10);
const justNow = () => new Date().toISOString();

async function postEvent(event: Record<string, unknown>): Promise<JsonResponse> {
  const response = await request(`${server.url}/v1/processor/events`, { body: { ...EXAMPLE_EVENT, ...event } });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`seeding ${String(event.event_id)} answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response;
}

/** A processor's payout_paid / payout_failed webhook for `payout`, with the payout's own amount unless told. */
function payoutOutcome(
  type: 'payout_paid' | 'payout_failed',
  payout: Pick<Payout, 'payout_id' | 'restaurant_id' | 'currency' | 'amount'>,
  overrides: Record<string, unknown> = {},
): Promise<JsonResponse> {
  return request(`${server.url}/v1/processor/events`, {
    body: {
      event_id: `evt_${type}_${payout.payout_id}_${Math.random().toString(36).slice(2)}`,
      event_type: type,
      occurred_at: justNow(),
      restaurant_id: payout.restaurant_id,
      currency: payout.currency,
      amount: payout.amount,
      fee: 0,
      metadata: { payout_id: payout.payout_id },
      ...overrides,
    },
  });
}

/** Polls the run until it is completed (or failed), at most 100 × 50 ms. */
async function waitForRun(runId: string): Promise<PayoutRun> {
  let last: JsonResponse | undefined;
  for (let i = 0; i < 100; i += 1) {
    last = await request(`${server.url}/v1/payouts/runs/${runId}`);
    expect(last.status).toBe(200);
    if (last.body.data.status === 'completed' || last.body.data.status === 'failed') return last.body.data;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} did not finish in 5 s: ${JSON.stringify(last?.body)}`);
}

async function startRun(body: Record<string, unknown>): Promise<{ accepted: JsonResponse; run: PayoutRun }> {
  const accepted = await request(`${server.url}/v1/payouts/run`, { body });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
  return { accepted, run: await waitForRun(accepted.body.data.run_id) };
}

async function payoutsOf(query: string): Promise<Payout[]> {
  const response = await request(`${server.url}/v1/payouts?${query}&limit=200`);
  expect(response.status).toBe(200);
  return response.body.data.items;
}

async function payoutOf(restaurantId: string, currency: string): Promise<Payout> {
  const items = await payoutsOf(`restaurant_id=${restaurantId}&currency=${currency}`);
  expect(items).toHaveLength(1);
  return items[0] as Payout;
}

async function available(restaurantId: string, currency: string): Promise<number> {
  const response = await request(`${server.url}/v1/restaurants/${restaurantId}/balance?currency=${currency}`);
  expect(response.status).toBe(200);
  return response.body.data.available;
}

async function runCount(): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM payout_runs`.execute(server.testDb.db);
  return rows[0]?.n ?? -1;
}

/**
 * The PEN book (charges of 2025-12-01, matured by 2025-12-08), paid by one run as of 2026-01-01
 * with min_amount 1000. Run once per file, on first use, so every test can start from it alone.
 */
const PEN = {
  res_po_a: 11_400, // 12000 - 600 fee
  res_po_b: 14_000, // 20000 - 1000 fee - 5000 refund
  res_po_c: 8_000,
  res_po_d: 2_900, // 3000 - 100 fee
  res_po_e: 500, // below min_amount
} as const;
let penRun: Promise<{ accepted: JsonResponse; run: PayoutRun }> | undefined;

function runPen(): Promise<{ accepted: JsonResponse; run: PayoutRun }> {
  penRun ??= (async () => {
    const charge = (restaurant: string, id: string, amount: number, fee: number) =>
      postEvent({ event_id: id, restaurant_id: restaurant, occurred_at: '2025-12-01T10:00:00Z', amount, fee, metadata: {} });
    await charge('res_po_a', 'evt_po_a', 12_000, 600);
    await charge('res_po_b', 'evt_po_b', 20_000, 1_000);
    await postEvent({
      event_id: 'evt_po_b_refund',
      event_type: 'refund_succeeded',
      restaurant_id: 'res_po_b',
      occurred_at: '2025-12-03T10:00:00Z',
      amount: 5_000,
      fee: 0,
      metadata: {},
    });
    await charge('res_po_c', 'evt_po_c', 8_000, 0);
    await charge('res_po_d', 'evt_po_d', 3_000, 100);
    await charge('res_po_e', 'evt_po_e', 500, 0);
    return startRun({ currency: 'PEN', as_of: '2026-01-01', min_amount: 1_000 });
  })();
  return penRun;
}

describe('a payout run over REST', SLOW, () => {
  it('is accepted with 202 and a queued run, then completes in the background with its counts', async () => {
    const { accepted, run } = await runPen();
    expect(accepted.body).toMatchObject({
      success: true,
      data: {
        run_id: expect.stringMatching(/^[1-9][0-9]*$/),
        status: 'queued',
        currency: 'PEN',
        as_of: '2026-01-01',
        min_amount: 1_000,
        cutoff: null,
        created: 0,
        started_at: null,
        finished_at: null,
      },
      meta: { request_id: accepted.headers.get('x-request-id'), timestamp: expect.any(String) },
    });
    expect(run).toMatchObject({
      run_id: accepted.body.data.run_id,
      status: 'completed',
      // The end of the as_of day in UTC: earlier than now.
      cutoff: '2026-01-01T23:59:59.999Z',
      created: 4,
      skipped: { below_min_amount: 1, not_positive: 0, open_payout: 0, already_paid_for_as_of: 0 },
      attempts: 1,
      last_error: null,
      started_at: expect.any(String),
      finished_at: expect.any(String),
    });
  });

  it('creates a payout of the whole available balance, itemised by entry type, and available drops to 0', async () => {
    await runPen();
    const listed = await payoutOf('res_po_b', 'PEN');
    const fetched = await request(`${server.url}/v1/payouts/${listed.payout_id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ success: true, meta: { request_id: expect.any(String) } });
    expect(fetched.body.data).toEqual({
      payout_id: listed.payout_id,
      run_id: listed.run_id,
      restaurant_id: 'res_po_b',
      currency: 'PEN',
      amount: 14_000,
      status: 'created',
      as_of: '2026-01-01',
      created_at: expect.any(String),
      paid_at: null,
      items: expect.arrayContaining([
        { type: 'sale', amount: 20_000 },
        { type: 'fee', amount: -1_000 },
        { type: 'refund', amount: -5_000 },
      ]),
      // The refund (available 2025-12-03) came before the sale matured (2025-12-08): available was
      // -5000 until then, and the sale paid that back first.
      deficit_recovered: 5_000,
    });
    expect(fetched.body.data.items).toHaveLength(3);
    expect(listed).toEqual(fetched.body.data);
    for (const [restaurant, amount] of Object.entries(PEN)) {
      if (amount < 1_000) continue;
      const payout = await payoutOf(restaurant, 'PEN');
      expect(payout.amount).toBe(amount);
      expect(payout.items.reduce((sum, item) => sum + item.amount, 0)).toBe(amount);
      expect(await available(restaurant, 'PEN')).toBe(0);
    }
  });

  it('skips a restaurant below min_amount and leaves its balance untouched', async () => {
    await runPen();
    expect(await payoutsOf('restaurant_id=res_po_e&currency=PEN')).toEqual([]);
    expect(await available('res_po_e', 'PEN')).toBe(500);
  });

  it('pays nobody twice when the same currency and as_of is run again', async () => {
    await runPen();
    const before = (await payoutsOf('currency=PEN')).length;
    const { run } = await startRun({ currency: 'PEN', as_of: '2026-01-01', min_amount: 1_000 });
    expect(run).toMatchObject({ status: 'completed', created: 0 });
    expect(run.skipped.already_paid_for_as_of).toBe(4);
    expect(run.skipped.below_min_amount).toBe(1);
    expect((await payoutsOf('currency=PEN')).length).toBe(before);
  });
});

describe('listing payouts', SLOW, () => {
  it('filters by restaurant, currency and status', async () => {
    await runPen();
    const pen = await payoutsOf('currency=PEN');
    expect(pen.length).toBeGreaterThanOrEqual(4);
    expect(pen.every((p) => p.currency === 'PEN')).toBe(true);
    expect(await payoutsOf('currency=CLP')).toEqual([]);
    const onlyA = await payoutsOf('restaurant_id=res_po_a');
    expect(onlyA.map((p) => p.restaurant_id)).toEqual(['res_po_a']);
    for (const status of ['created', 'processing', 'paid', 'failed'] as const) {
      const items = await payoutsOf(`currency=PEN&status=${status}`);
      expect(items.every((p) => p.status === status)).toBe(true);
    }
    const all = await payoutsOf('');
    expect(all.length).toBeGreaterThanOrEqual(pen.length);
  });

  it('filters by the run that made them', async () => {
    await runPen();
    const pen = await payoutsOf('currency=PEN');
    const runIds = [...new Set(pen.map((p) => p.run_id))];
    expect(runIds.length).toBeGreaterThanOrEqual(1);
    for (const runId of runIds) {
      const ofRun = await payoutsOf(`run_id=${runId}`);
      expect(ofRun.map((p) => p.payout_id)).toEqual(pen.filter((p) => p.run_id === runId).map((p) => p.payout_id));
      const run = await request(`${server.url}/v1/payouts/runs/${runId}`);
      expect(ofRun).toHaveLength(run.body.data.created);
    }
    expect(await payoutsOf('run_id=999999999')).toEqual([]);
  });

  it('walks every payout exactly once in id order with cursor pagination, ending with a null next_cursor', async () => {
    await runPen();
    const everything = await payoutsOf('currency=PEN');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: JsonResponse = await request(
        `${server.url}/v1/payouts?currency=PEN&limit=1${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      expect(response.status).toBe(200);
      expect(response.body.success).toBe(true);
      expect(response.body.data.items.length).toBeLessThanOrEqual(1);
      seen.push(...response.body.data.items.map((p: { payout_id: string }) => p.payout_id));
      cursor = response.body.data.next_cursor;
      pages += 1;
      expect(pages).toBeLessThan(100);
    } while (cursor !== null);
    expect(seen).toEqual(everything.map((p) => p.payout_id));
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(seen);

    const twoAtATime = await request(`${server.url}/v1/payouts?currency=PEN&limit=2`);
    expect(twoAtATime.body.data.items).toHaveLength(2);
    expect(twoAtATime.body.data.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1000', 'limit'],
    ['limit=201', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=abc', 'limit'],
    ['status=cancelled', 'status'],
    ['currency=pen', 'currency'],
    ['run_id=abc', 'run_id'],
    ['run_id=0', 'run_id'],
    ['colour=blue', undefined],
  ])('refuses %s with 422 VALIDATION_ERROR', async (query, field) => {
    const response = await request(`${server.url}/v1/payouts?${query}`);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' }, meta: { request_id: expect.any(String) } });
    if (field !== undefined) {
      expect(response.body.error.details.issues.map((issue: { field: string }) => issue.field)).toContain(field);
    }
  });

  it('accepts the limit bounds 1 and 200', async () => {
    for (const limit of [1, 200]) {
      const response = await request(`${server.url}/v1/payouts?limit=${limit}`);
      expect(response.status).toBe(200);
    }
  });
});

describe('a payout moving through its statuses', SLOW, () => {
  it('is marked processing (200, idempotent), paid by payout_paid, and then refuses processing with 409', async () => {
    await runPen();
    const payout = await payoutOf('res_po_a', 'PEN');
    const url = `${server.url}/v1/payouts/${payout.payout_id}/processing`;

    // A bare POST, no body and no content type, as the OpenAPI document describes it.
    const bare = await fetch(url, { method: 'POST' });
    expect(bare.status).toBe(200);
    const first = { status: bare.status, body: (await bare.json()) as Record<string, any> };
    expect(first.body).toMatchObject({ success: true, data: { payout_id: payout.payout_id, status: 'processing', paid_at: null, amount: 11_400 } });
    const again = await request(url, { body: {} });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);

    const paidAt = justNow();
    const paid = await payoutOutcome('payout_paid', payout, { occurred_at: paidAt });
    expect(paid.status).toBe(201);
    expect(paid.body.data).toMatchObject({ idempotent: false, payout: { payout_id: payout.payout_id, result: 'applied' }, entries: [] });

    const fetched = await request(`${server.url}/v1/payouts/${payout.payout_id}`);
    expect(fetched.body.data).toMatchObject({ status: 'paid', paid_at: paidAt, amount: 11_400 });
    expect(await available('res_po_a', 'PEN')).toBe(0);
    expect((await payoutsOf('currency=PEN&status=paid')).map((p) => p.payout_id)).toContain(payout.payout_id);

    const late = await request(url, { body: {} });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({
      success: false,
      error: { code: 'PAYOUT_STATUS_CONFLICT', message: expect.any(String), details: { payout_id: payout.payout_id, status: 'paid' } },
      meta: { request_id: expect.any(String) },
    });

    const secondOutcome = await payoutOutcome('payout_failed', payout);
    expect(secondOutcome.status).toBe(201);
    expect(secondOutcome.body.data).toMatchObject({ payout: { result: 'already_final' }, entries: [] });
    expect((await request(`${server.url}/v1/payouts/${payout.payout_id}`)).body.data.status).toBe('paid');
  });

  it('is not changed by a payout event for another amount or an unknown payout id', async () => {
    await runPen();
    const payout = await payoutOf('res_po_d', 'PEN');
    const wrongAmount = await payoutOutcome('payout_paid', payout, { amount: payout.amount + 1 });
    expect(wrongAmount.status).toBe(201);
    expect(wrongAmount.body.data.payout).toEqual({ payout_id: payout.payout_id, result: 'mismatch' });
    const unknown = await payoutOutcome('payout_paid', { ...payout, payout_id: '999999999' });
    expect(unknown.body.data.payout).toEqual({ payout_id: '999999999', result: 'unknown_payout' });
    const fetched = await request(`${server.url}/v1/payouts/${payout.payout_id}`);
    expect(fetched.body.data).toMatchObject({ status: 'created', paid_at: null });
  });

  it('is failed by payout_failed with a payout_reversal, so the funds are available again and the next run pays them', async () => {
    const restaurants = ['res_pf_1', 'res_pf_2'];
    for (const [i, restaurant] of restaurants.entries()) {
      await postEvent({ event_id: `evt_pf_${i}`, restaurant_id: restaurant, currency: 'USD', occurred_at: '2025-12-01T10:00:00Z', amount: 7_000, fee: 200, metadata: {} });
    }
    await startRun({ currency: 'USD', as_of: '2026-01-01' });
    const failing = await payoutOf('res_pf_1', 'USD');
    const open = await payoutOf('res_pf_2', 'USD');
    expect(await available('res_pf_1', 'USD')).toBe(0);

    const failed = await payoutOutcome('payout_failed', failing);
    expect(failed.status).toBe(201);
    expect(failed.body.data.payout).toEqual({ payout_id: failing.payout_id, result: 'applied' });
    expect(failed.body.data.entries).toEqual([expect.objectContaining({ entry_type: 'payout_reversal', amount: 6_800 })]);

    const fetched = await request(`${server.url}/v1/payouts/${failing.payout_id}`);
    expect(fetched.body.data).toMatchObject({ status: 'failed', paid_at: null, amount: 6_800 });
    expect(await available('res_pf_1', 'USD')).toBe(6_800);

    const processing = await request(`${server.url}/v1/payouts/${failing.payout_id}/processing`, { body: {} });
    expect(processing.status).toBe(409);
    expect(processing.body.error).toMatchObject({ code: 'PAYOUT_STATUS_CONFLICT', details: { status: 'failed' } });

    // as_of today is allowed; the open payout of res_pf_2 blocks it, the reversed funds are paid again.
    const { run } = await startRun({ currency: 'USD', as_of: today() });
    expect(run).toMatchObject({ status: 'completed', created: 1, skipped: { open_payout: 1, already_paid_for_as_of: 0 } });
    const repaid = (await payoutsOf('restaurant_id=res_pf_1&currency=USD&status=created'))[0];
    expect(repaid).toMatchObject({ amount: 6_800, as_of: today(), items: [{ type: 'payout_reversal', amount: 6_800 }] });
    expect(await available('res_pf_1', 'USD')).toBe(0);
    expect((await request(`${server.url}/v1/payouts/${open.payout_id}`)).body.data.status).toBe('created');
  });
});

describe('payout errors over REST', () => {
  it.each([
    ['an unknown payout id', 'GET', '/v1/payouts/999999999999', 'PAYOUT_NOT_FOUND'],
    ['a payout id that is not a number', 'GET', '/v1/payouts/abc', 'PAYOUT_NOT_FOUND'],
    ['a payout id with a leading zero', 'GET', '/v1/payouts/0001', 'PAYOUT_NOT_FOUND'],
    ['a payout id beyond int8', 'GET', '/v1/payouts/99999999999999999999', 'PAYOUT_NOT_FOUND'],
    ['a negative payout id', 'GET', '/v1/payouts/-1', 'PAYOUT_NOT_FOUND'],
    ['processing an unknown payout', 'POST', '/v1/payouts/999999999999/processing', 'PAYOUT_NOT_FOUND'],
    ['processing a malformed payout id', 'POST', '/v1/payouts/x1/processing', 'PAYOUT_NOT_FOUND'],
    ['an unknown run id', 'GET', '/v1/payouts/runs/999999999999', 'PAYOUT_RUN_NOT_FOUND'],
    ['a malformed run id', 'GET', '/v1/payouts/runs/run_1', 'PAYOUT_RUN_NOT_FOUND'],
  ])('answers %s with 404 %s', async (_name, method, path, code) => {
    const response = await request(`${server.url}${path}`, method === 'POST' ? { body: {} } : {});
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({
      success: false,
      error: { code, message: expect.any(String), details: expect.any(Object) },
      meta: { request_id: response.headers.get('x-request-id'), timestamp: expect.any(String) },
    });
  });

  it('refuses a run with as_of after today with 422 naming as_of, and queues nothing', async () => {
    const before = await runCount();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const response = await request(`${server.url}/v1/payouts/run`, { body: { currency: 'PEN', as_of: tomorrow } });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    expect(response.body.error.details.issues).toEqual([expect.objectContaining({ field: 'as_of' })]);
    expect(await runCount()).toBe(before);
  });

  it.each([
    ['a malformed as_of', { currency: 'PEN', as_of: '2025-13-01' }, 'as_of'],
    ['an as_of with a time', { currency: 'PEN', as_of: '2025-12-01T00:00:00Z' }, 'as_of'],
    ['an as_of before 2000 (no event can be that old)', { currency: 'PEN', as_of: '1999-12-31' }, 'as_of'],
    ['an as_of in year 26', { currency: 'CLP', as_of: '0026-11-28' }, 'as_of'],
    ['a lower-case currency', { currency: 'pen', as_of: '2025-12-01' }, 'currency'],
    ['a missing currency', { as_of: '2025-12-01' }, 'currency'],
    ['a negative min_amount', { currency: 'PEN', as_of: '2025-12-01', min_amount: -1 }, 'min_amount'],
    ['a fractional min_amount', { currency: 'PEN', as_of: '2025-12-01', min_amount: 1.5 }, 'min_amount'],
    ['an unknown field', { currency: 'PEN', as_of: '2025-12-01', dry_run: true }, undefined],
  ])('refuses a run with %s with 422 and queues nothing', async (_name, body, field) => {
    const before = await runCount();
    const response = await request(`${server.url}/v1/payouts/run`, { body });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('VALIDATION_ERROR');
    if (field !== undefined) {
      expect(response.body.error.details.issues.map((issue: { field: string }) => issue.field)).toContain(field);
    }
    expect(await runCount()).toBe(before);
  });

  it('answers malformed JSON on the run route with 400 MALFORMED_JSON in the envelope', async () => {
    const response = await request(`${server.url}/v1/payouts/run`, { rawBody: '{"currency":"PEN",' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, error: { code: 'MALFORMED_JSON' } });
  });
});
