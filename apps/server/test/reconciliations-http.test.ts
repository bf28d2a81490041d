import type { Payout, PayoutRun } from '@restaurant-ledger/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonResponse, request, startTestServer, type TestServer } from './support/test-server.ts';

/**
 * POST /v1/reconciliations and GET /v1/reconciliations/{id} over HTTP, against payouts made by
 * real runs and marked paid by the processor's payout_paid webhooks. Each scenario has a currency
 * of its own, so the scopes of their reports never overlap.
 */
let server: TestServer;
const HEADER = 'payout_id,amount,currency,paid_date,type,reference';
const today = () => new Date().toISOString().slice(0, 10);
const MONTH_AGO = new Date(Date.now() - 30 * 24 * 3_600_000).toISOString();

beforeAll(async () => {
  server = await startTestServer({ poolSize: 20 });
});
afterAll(() => server.close());

async function post(path: string, body: Record<string, unknown>): Promise<JsonResponse> {
  const response = await request(`${server.url}${path}`, { body });
  if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response;
}

async function waitForRun(runId: string): Promise<PayoutRun> {
  for (let i = 0; i < 200; i += 1) {
    const run = (await request(`${server.url}/v1/payouts/runs/${runId}`)).body.data as PayoutRun;
    if (run.status === 'completed' || run.status === 'failed') return run;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} did not finish`);
}

/** One charge per restaurant (amount, fee), a payout run, and a payout_paid for each payout. */
async function paidPayouts(currency: string, charges: ReadonlyArray<{ restaurant: string; amount: number; fee: number }>): Promise<Record<string, Payout>> {
  for (const { restaurant, amount, fee } of charges) {
    await post('/v1/processor/events', {
      event_id: `evt_${currency}_${restaurant}`,
      event_type: 'charge_succeeded',
      occurred_at: MONTH_AGO,
      restaurant_id: restaurant,
      currency,
      amount,
      fee,
      metadata: { payment_id: `pay_${currency}_${restaurant}` },
    });
  }
  const run = await post('/v1/payouts/run', { currency, as_of: today(), min_amount: 0 });
  expect((await waitForRun(run.body.data.run_id)).created).toBe(charges.length);
  const payouts = (await request(`${server.url}/v1/payouts?currency=${currency}&limit=200`)).body.data.items as Payout[];
  for (const payout of payouts) {
    await post('/v1/processor/events', {
      event_id: `evt_paid_${payout.payout_id}`,
      event_type: 'payout_paid',
      occurred_at: new Date().toISOString(),
      restaurant_id: payout.restaurant_id,
      currency,
      amount: payout.amount,
      metadata: { payout_id: payout.payout_id },
    });
  }
  return Object.fromEntries(payouts.map((payout) => [payout.restaurant_id, payout]));
}

/** The report rows of a payout of one charge, as the processor would write them. */
function rowsOf(payout: Payout, overrides: { charge?: number; fee?: number } = {}): string[] {
  const eventId = `evt_${payout.currency}_${payout.restaurant_id}`;
  const sale = payout.items.find((item) => item.type === 'sale')?.amount ?? 0;
  const fee = payout.items.find((item) => item.type === 'fee')?.amount ?? 0;
  return [
    `${payout.payout_id},${overrides.charge ?? sale},${payout.currency},${today()},charge,${eventId}`,
    ...(fee === 0 ? [] : [`${payout.payout_id},${overrides.fee ?? fee},${payout.currency},${today()},fee,${eventId}`]),
  ];
}

const csv = (...rows: string[]) => `${[HEADER, ...rows].join('\n')}\n`;

function importCsv(text: string, contentType = 'text/csv'): Promise<JsonResponse> {
  return request(`${server.url}/v1/reconciliations`, { method: 'POST', rawBody: text, headers: { 'content-type': contentType } });
}

async function storedReconciliations(): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM reconciliations`.execute(server.testDb.db);
  return Number(rows[0]?.n);
}

describe('POST /v1/reconciliations', () => {
  it('answers 201 with every payout matched for a report that agrees with the ledger, then 200 with the same id for the same file', async () => {
    const payouts = await paidPayouts('PEN', [
      { restaurant: 'rec_a', amount: 12000, fee: 600 },
      { restaurant: 'rec_b', amount: 8000, fee: 0 },
    ]);
    const file = csv(...rowsOf(payouts.rec_a as Payout), ...rowsOf(payouts.rec_b as Payout));
    const first = await importCsv(file);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ success: true, meta: { request_id: expect.any(String) } });
    expect(first.body.data).toMatchObject({
      idempotent: false,
      scope: { currencies: ['PEN'], paid_from: today(), paid_to: today() },
      counts: { rows: 3, payouts: 2, matched: 2, amount_mismatch: 0, in_ledger_not_in_report: 0, in_report_not_in_ledger: 0 },
      amount_mismatch: [],
      in_ledger_not_in_report: [],
      in_report_not_in_ledger: [],
    });
    expect(first.body.data.matched.map((m: { payout_id: string; amount: number }) => [m.payout_id, m.amount])).toEqual([
      [payouts.rec_a?.payout_id, 11400],
      [payouts.rec_b?.payout_id, 8000],
    ]);

    const again = await importCsv(file);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual({ ...first.body.data, idempotent: true });

    const stored = await request(`${server.url}/v1/reconciliations/${first.body.data.reconciliation_id}`);
    expect(stored.status).toBe(200);
    const { idempotent: _idempotent, ...reconciliation } = first.body.data;
    expect(stored.body.data).toEqual(reconciliation);
  });

  it('stores one reconciliation when the same file is imported many times at once', async () => {
    const payouts = await paidPayouts('CLP', [{ restaurant: 'rec_c', amount: 5000, fee: 100 }]);
    const file = csv(...rowsOf(payouts.rec_c as Payout));
    const before = await storedReconciliations();
    const answers = await Promise.all(Array.from({ length: 8 }, () => importCsv(file)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.data.reconciliation_id)).size).toBe(1);
    expect(answers.filter((a) => a.body.data.idempotent === false)).toHaveLength(1);
    expect(await storedReconciliations()).toBe(before + 1);
  });

  it('shows the ledger and report amounts of a payout whose amount differs, with the item that differs', async () => {
    const payouts = await paidPayouts('MXN', [{ restaurant: 'rec_m', amount: 20000, fee: 1000 }]);
    const payout = payouts.rec_m as Payout;
    const answer = await importCsv(csv(...rowsOf(payout, { fee: -1200 })));
    expect(answer.status).toBe(201);
    expect(answer.body.data.counts).toMatchObject({ matched: 0, amount_mismatch: 1 });
    expect(answer.body.data.amount_mismatch).toEqual([
      expect.objectContaining({
        payout_id: payout.payout_id,
        ledger_amount: 19000,
        report_amount: 18800,
        difference: -200,
        differing_items: [{ type: 'fee', reference: 'evt_MXN_rec_m', ledger_amount: -1000, report_amount: -1200 }],
      }),
    ]);
  });

  it('lists a payout paid within the report\'s scope that the report lacks, and a row for a payout the ledger does not know', async () => {
    const payouts = await paidPayouts('COP', [
      { restaurant: 'rec_x', amount: 3000, fee: 0 },
      { restaurant: 'rec_y', amount: 4000, fee: 0 },
    ]);
    const answer = await importCsv(csv(...rowsOf(payouts.rec_x as Payout), `987654321,2500,COP,${today()},charge,evt_elsewhere`));
    expect(answer.status).toBe(201);
    expect(answer.body.data.counts).toMatchObject({ matched: 1, in_ledger_not_in_report: 1, in_report_not_in_ledger: 1 });
    expect(answer.body.data.in_ledger_not_in_report).toEqual([
      { payout_id: payouts.rec_y?.payout_id, restaurant_id: 'rec_y', currency: 'COP', amount: 4000, ledger_paid_date: today() },
    ]);
    expect(answer.body.data.in_report_not_in_ledger).toEqual([
      { payout_id: '987654321', currency: 'COP', amount: 2500, paid_date: today(), reason: 'unknown_payout', ledger_status: null, ledger_currency: null },
    ]);
  });

  it('refuses a malformed file with 422 naming every bad line, and imports nothing', async () => {
    const before = await storedReconciliations();
    const answer = await importCsv(
      csv('1,100,PEN,2025-12-28,charge,evt_1', '1,abc,PEN,2025-12-28,charge,evt_2', '1,100,PEN', '1,100,PEN,2025-13-01,charge,evt_3', '1,100,PEN,2025-12-28,"charge,evt_4', '1,100,PEN,2025-12-28,charge,'),
    );
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ success: false, error: { code: 'RECONCILIATION_FILE_INVALID', details: { bad_lines: [3, 4, 5, 6, 7] } } });
    expect(answer.body.error.message).toMatch(/3, 4, 5, 6, 7/);
    expect(await storedReconciliations()).toBe(before);
  });

  it.each([
    ['an empty body', '', [1]],
    ['a wrong header', 'payout_id;amount\n', [1]],
    ['bytes that are not UTF-8', Buffer.from([...Buffer.from(`${HEADER}\n1,100,PEN,2025-12-28,charge,e`), 0xff, 0x0a]), [2]],
  ])('refuses %s with 422 RECONCILIATION_FILE_INVALID', async (_what, body, badLines) => {
    const response = await fetch(`${server.url}/v1/reconciliations`, { method: 'POST', body, headers: { 'content-type': 'text/csv' } });
    const json = (await response.json()) as Record<string, any>;
    expect(response.status).toBe(422);
    expect(json.error).toMatchObject({ code: 'RECONCILIATION_FILE_INVALID', details: { bad_lines: badLines } });
  });

  it.each([['application/json'], ['text/plain'], ['application/x-www-form-urlencoded']])('refuses a %s body with 415 UNSUPPORTED_MEDIA_TYPE', async (contentType) => {
    // Even a CSV body labelled JSON (not valid JSON) is a wrong media type, not malformed JSON.
    const answer = await importCsv(csv('1,100,PEN,2025-12-28,charge,evt_1'), contentType);
    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ success: false, error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as text/csv' } });
  });

  it('accepts a charset=utf-8 parameter on the content type', async () => {
    const answer = await importCsv(csv('424242,100,BRL,2025-12-28,charge,evt_charset'), 'text/csv; charset=utf-8');
    expect(answer.status).toBe(201);
    expect(answer.body.data.in_report_not_in_ledger).toHaveLength(1);
  });

  it('refuses a file over its body limit with 413', async () => {
    const small = await startTestServer({ testDb: server.testDb, payoutWorker: false, limits: { reconciliationBodyBytesMax: 2048 } });
    try {
      const rows = Array.from({ length: 100 }, (_, i) => `1,100,PEN,2025-12-28,charge,evt_${i}`);
      const answer = await request(`${small.url}/v1/reconciliations`, { method: 'POST', rawBody: csv(...rows), headers: { 'content-type': 'text/csv' } });
      expect(answer.status).toBe(413);
      expect(answer.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit_bytes: 2048 } });
    } finally {
      await small.close();
    }
  });
});

describe('GET /v1/reconciliations/{reconciliation_id} and the SDK route', () => {
  it('answers 404 RECONCILIATION_NOT_FOUND for unknown and malformed ids', async () => {
    for (const id of ['999999', 'abc', '0']) {
      const answer = await request(`${server.url}/v1/reconciliations/${id}`);
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('RECONCILIATION_NOT_FOUND');
    }
  });

  it('imports the CSV text through /trpc (the SDK call) with the same answer', async () => {
    const text = csv('555555,700,ARS,2025-12-28,charge,evt_sdk');
    const viaTrpc = await request(`${server.url}/trpc/reconciliations.import`, { body: { csv: text } });
    expect(viaTrpc.status).toBe(200);
    expect(viaTrpc.body.result.data).toMatchObject({ idempotent: false, counts: { in_report_not_in_ledger: 1 } });
    const viaRest = await importCsv(text);
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.data.reconciliation_id).toBe(viaTrpc.body.result.data.reconciliation_id);
    const bad = await request(`${server.url}/trpc/reconciliations.import`, { body: { csv: `${HEADER}\n1,x,ARS,2025-12-28,charge,e\n` } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.data).toMatchObject({ code: 'RECONCILIATION_FILE_INVALID', details: { bad_lines: [2] } });
  });
});
