import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getBalance,
  getPayout,
  getPayoutRun,
  ingestEvent,
  type LedgerContext,
  listPayouts,
  markProcessing,
  type PayoutRun,
  requestPayoutRun,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, expectLedgerError, fixedClock, refundEvent, settlementLinks, type TestDatabase } from './support/index.ts';

let testDb: TestDatabase;
let ctx: LedgerContext;
const NOW = '2026-01-15T12:00:00Z';

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock(NOW) });
});
afterAll(() => testDb.close());

async function runToEnd(context: LedgerContext, input: { currency: string; as_of: string; min_amount?: number }): Promise<PayoutRun> {
  const run = await requestPayoutRun(context, { min_amount: 0, ...input });
  while ((await workNextPayoutRun(context, { owner: 'test-worker', batchSize: 2 })) !== undefined) {}
  return getPayoutRun(context, run.run_id);
}

async function payoutsOf(restaurantId: string) {
  return (await listPayouts(ctx, { restaurant_id: restaurantId, limit: 200 })).items;
}

const charge = (restaurant: string, id: string, occurredAt: string, amount: number, fee = 0) =>
  ingestEvent(ctx, chargeEvent({ event_id: id, restaurant_id: restaurant, occurred_at: occurredAt, amount, fee }), {});
/** A payout outcome, by default at NOW: the moment the fixed clock creates every payout. */
const paidEvent = (id: string, payoutId: string, restaurant: string, amount: number, type = 'payout_paid', occurredAt = NOW) =>
  ingestEvent(
    ctx,
    chargeEvent({
      event_id: id,
      event_type: type,
      restaurant_id: restaurant,
      occurred_at: occurredAt,
      amount,
      fee: 0,
      metadata: { payout_id: payoutId },
    }),
    {},
  );

describe('a payout run', () => {
  it('pays the unsettled available balance at the end of the as_of day, with items that sum to the amount', async () => {
    await charge('res_p1', 'p1_c1', '2025-12-01T10:00:00Z', 12000, 600); // available 12-08
    await charge('res_p1', 'p1_c2', '2025-12-20T10:00:00Z', 5000); // available 12-27: after the cutoff
    await ingestEvent(ctx, refundEvent({ event_id: 'p1_r1', restaurant_id: 'res_p1', occurred_at: '2025-12-10T00:00:00Z', amount: 1000 }), {});
    const run = await runToEnd(ctx, { currency: 'PEN', as_of: '2025-12-26' });
    expect(run).toMatchObject({ status: 'completed', cutoff: '2025-12-26T23:59:59.999Z', created: 1 });
    const [payout] = await payoutsOf('res_p1');
    expect(payout).toMatchObject({ amount: 10400, status: 'created', as_of: '2025-12-26', paid_at: null });
    expect(payout?.items).toEqual([
      { type: 'fee', amount: -600 },
      { type: 'refund', amount: -1000 },
      { type: 'sale', amount: 12000 },
    ]);
    const balance = await getBalance(ctx, { restaurant_id: 'res_p1', currency: 'PEN' });
    expect(balance).toMatchObject({ available: 5000, pending: 0, total: 5000 });
  });

  it('writes a payout entry of -amount, available at once, settling its own entry too', async () => {
    const [payout] = await payoutsOf('res_p1');
    const { rows } = await sql<{ entry_type: string; amount_minor: string | number; settled: boolean }>`
      SELECT le.entry_type, le.amount_minor, EXISTS (SELECT 1 FROM (${settlementLinks}) s WHERE s.ledger_entry_id = le.id) AS settled
      FROM ledger_entries le WHERE le.payout_id = ${payout?.payout_id ?? '0'}`.execute(testDb.db);
    expect(rows.map((r) => ({ ...r, amount_minor: Number(r.amount_minor) }))).toEqual([{ entry_type: 'payout', amount_minor: -10400, settled: true }]);
  });

  it('skips by reason: already paid for this as_of, open payout, below min_amount, not positive', async () => {
    await charge('res_p2', 'p2_c1', '2025-12-01T10:00:00Z', 3000); // below a 5000 minimum
    await ingestEvent(ctx, refundEvent({ event_id: 'p3_r1', restaurant_id: 'res_p3', occurred_at: '2025-12-05T00:00:00Z', amount: 700 }), {});
    const again = await runToEnd(ctx, { currency: 'PEN', as_of: '2025-12-26', min_amount: 5000 });
    expect(again.created).toBe(0);
    expect(again.skipped).toMatchObject({ already_paid_for_as_of: 1, below_min_amount: 1, not_positive: 1 });
    const later = await runToEnd(ctx, { currency: 'PEN', as_of: '2025-12-31', min_amount: 5000 });
    expect(later.skipped.open_payout).toBe(1); // res_p1's payout is still created
    expect(await payoutsOf('res_p1')).toHaveLength(1);
  });

  it('refuses an as_of after today and uses the run start as cutoff when as_of is today', async () => {
    await expectLedgerError(requestPayoutRun(ctx, { currency: 'PEN', as_of: '2026-01-16', min_amount: 0 }), 'VALIDATION_ERROR');
    const today = await runToEnd(ctx, { currency: 'USD', as_of: '2026-01-15' });
    expect(today.cutoff).toBe('2026-01-15T12:00:00.000Z');
  });

  it('answers PAYOUT_RUN_NOT_FOUND and PAYOUT_NOT_FOUND for unknown and malformed ids', async () => {
    for (const id of ['999999', 'abc', '0', '-1', '1'.repeat(30)]) {
      await expectLedgerError(getPayoutRun(ctx, id), 'PAYOUT_RUN_NOT_FOUND');
      await expectLedgerError(getPayout(ctx, id), 'PAYOUT_NOT_FOUND');
    }
  });
});

describe('payout outcomes from the processor', () => {
  it('payout_paid moves the payout to paid with paid_at = occurred_at and changes no money', async () => {
    await charge('res_paid', 'paid_c1', '2025-12-01T10:00:00Z', 8000);
    await runToEnd(ctx, { currency: 'PEN', as_of: '2025-12-20' });
    const [payout] = await payoutsOf('res_paid');
    const before = await getBalance(ctx, { restaurant_id: 'res_paid', currency: 'PEN' });
    const result = await paidEvent('paid_e1', payout?.payout_id ?? '', 'res_paid', 8000);
    expect(result.payout).toEqual({ payout_id: payout?.payout_id, result: 'applied' });
    expect(result.entries).toEqual([]);
    expect(await getPayout(ctx, payout?.payout_id ?? '')).toMatchObject({ status: 'paid', paid_at: '2026-01-15T12:00:00.000Z' });
    expect(await getBalance(ctx, { restaurant_id: 'res_paid', currency: 'PEN' })).toEqual(before);
    const late = await paidEvent('paid_e2', payout?.payout_id ?? '', 'res_paid', 8000, 'payout_failed');
    expect(late.payout?.result).toBe('already_final');
    expect(late.entries).toEqual([]);
  });

  it('payout_failed moves the payout to failed and a payout_reversal makes the funds available again, paid by the next run', async () => {
    await charge('res_fail', 'fail_c1', '2025-12-01T10:00:00Z', 9000, 100);
    await runToEnd(ctx, { currency: 'PEN', as_of: '2025-12-20' });
    const [payout] = await payoutsOf('res_fail');
    expect(await getBalance(ctx, { restaurant_id: 'res_fail', currency: 'PEN' })).toMatchObject({ available: 0 });
    const result = await paidEvent('fail_e1', payout?.payout_id ?? '', 'res_fail', 8900, 'payout_failed');
    expect(result.payout?.result).toBe('applied');
    expect(result.entries).toMatchObject([{ entry_type: 'payout_reversal', amount: 8900, available_at: '2026-01-15T12:00:00.000Z' }]);
    expect(await getPayout(ctx, payout?.payout_id ?? '')).toMatchObject({ status: 'failed', paid_at: null });
    expect(await getBalance(ctx, { restaurant_id: 'res_fail', currency: 'PEN' })).toMatchObject({ available: 8900 });
    await runToEnd(ctx, { currency: 'PEN', as_of: '2026-01-15' });
    const second = (await payoutsOf('res_fail')).find((p) => p.as_of === '2026-01-15');
    expect(second).toMatchObject({ amount: 8900, items: [{ type: 'payout_reversal', amount: 8900 }] });
  });

  it.each([
    ['an unknown payout id', '987654', 1, 'unknown_payout'],
    ['a malformed payout id', 'po_abc', 1, 'unknown_payout'],
    ['a different amount', undefined, 1, 'mismatch'],
  ])('stores an event naming %s and changes nothing', async (_name, idOverride, amount, outcome) => {
    await charge('res_odd', `odd_c_${outcome}_${amount}_${idOverride}`, '2025-12-01T10:00:00Z', 4000);
    await runToEnd(ctx, { currency: 'PEN', as_of: '2025-12-21' });
    const [payout] = await payoutsOf('res_odd');
    const before = await getBalance(ctx, { restaurant_id: 'res_odd', currency: 'PEN' });
    const result = await paidEvent(`odd_${idOverride}`, idOverride ?? payout?.payout_id ?? '', 'res_odd', amount, 'payout_failed');
    expect(result.payout?.result).toBe(outcome);
    expect(result.entries).toEqual([]);
    expect((await getPayout(ctx, payout?.payout_id ?? '')).status).toBe('created');
    expect(await getBalance(ctx, { restaurant_id: 'res_odd', currency: 'PEN' })).toEqual(before);
  });

  it('writes a reversal dated before its payout existed at the payout creation, so past balances stay right, and keeps paid_at as the processor dated it', async () => {
    await charge('res_early', 'early_c1', '2025-12-01T10:00:00Z', 6000);
    await charge('res_early2', 'early2_c1', '2025-12-01T10:00:00Z', 7000);
    await runToEnd(ctx, { currency: 'PEN', as_of: '2025-12-23' });
    const [failing] = await payoutsOf('res_early');
    const [paying] = await payoutsOf('res_early2');
    expect(failing?.created_at).toBe('2026-01-15T12:00:00.000Z');
    const failed = await paidEvent('early_f', failing?.payout_id ?? '', 'res_early', 6000, 'payout_failed', '2026-01-10T00:00:00Z');
    expect(failed.entries).toMatchObject([{ entry_type: 'payout_reversal', occurred_at: '2026-01-15T12:00:00.000Z', available_at: '2026-01-15T12:00:00.000Z' }]);
    // Before the payout: the sale alone, not the sale plus its reversal.
    expect(await getBalance(ctx, { restaurant_id: 'res_early', currency: 'PEN', as_of: new Date('2026-01-12T00:00:00Z') })).toMatchObject({ available: 6000 });
    expect(await getBalance(ctx, { restaurant_id: 'res_early', currency: 'PEN' })).toMatchObject({ available: 6000 });
    await paidEvent('early_p', paying?.payout_id ?? '', 'res_early2', 7000, 'payout_paid', '2026-01-10T00:00:00Z');
    // paid_at is the event's occurred_at (DOMAIN §2): reconciliation matches the processor's paid dates against it.
    expect(await getPayout(ctx, paying?.payout_id ?? '')).toMatchObject({ status: 'paid', paid_at: '2026-01-10T00:00:00.000Z' });
  });

  it('marks a payout processing once, idempotently, and refuses it after it is paid', async () => {
    await charge('res_proc', 'proc_c1', '2025-12-01T10:00:00Z', 2500);
    await runToEnd(ctx, { currency: 'PEN', as_of: '2025-12-22' });
    const [payout] = await payoutsOf('res_proc');
    const id = payout?.payout_id ?? '';
    expect((await markProcessing(ctx, id)).status).toBe('processing');
    expect((await markProcessing(ctx, id)).status).toBe('processing');
    expect((await paidEvent('proc_paid', id, 'res_proc', 2500)).payout?.result).toBe('applied');
    await expectLedgerError(markProcessing(ctx, id), 'PAYOUT_STATUS_CONFLICT');
    await expectLedgerError(markProcessing(ctx, 'nope'), 'PAYOUT_NOT_FOUND');
  });
});

describe('the database guards payouts', () => {
  it('refuses changing an amount or a frontier, moving status backwards, deleting, and settling an entry twice', async () => {
    const [payout] = await payoutsOf('res_paid');
    const id = payout?.payout_id ?? '0';
    const refused = async (statement: ReturnType<typeof sql>) =>
      statement.execute(testDb.db).then(() => 'accepted', (e: Error) => e.message);
    expect(await refused(sql`UPDATE payouts SET amount_minor = 1 WHERE id = ${id}`)).toMatch(/immutable/);
    expect(await refused(sql`UPDATE payouts SET status = 'created', paid_at = NULL WHERE id = ${id}`)).toMatch(/cannot move from paid/);
    expect(await refused(sql`DELETE FROM payouts WHERE id = ${id}`)).toMatch(/never deleted/);
    expect(await refused(sql`UPDATE payouts SET settled_through_entry_id = settled_through_entry_id + 1 WHERE id = ${id}`)).toMatch(/immutable/);
    // A payout after `prior` whose settled range is (prior frontier, prior frontier + moves).
    const after = (prior: ReturnType<typeof sql>, moves: { through?: number; priorThrough?: number } = {}) => sql`
      INSERT INTO payouts (restaurant_id, currency, amount_minor, as_of, cutoff, run_id, created_at,
        prior_payout_id, prior_through_entry_id, prior_cutoff, settled_through_entry_id)
      SELECT restaurant_id, currency, 1, as_of + 1000, cutoff, run_id, created_at,
        ${prior}, settled_through_entry_id + ${moves.priorThrough ?? 0}, cutoff, settled_through_entry_id + ${moves.through ?? 1}
      FROM payouts WHERE id = ${id}`;
    // Settling again what a payout already settled: a second payout after the same one, or a second first one.
    expect(await refused(sql`
      INSERT INTO payouts (restaurant_id, currency, amount_minor, as_of, cutoff, run_id, created_at,
        prior_payout_id, prior_through_entry_id, prior_cutoff, settled_through_entry_id)
      SELECT restaurant_id, currency, 1, as_of + 1000, cutoff, run_id, created_at, prior_payout_id, prior_through_entry_id, prior_cutoff, settled_through_entry_id + 1
      FROM payouts WHERE id = ${id}`)).toMatch(/payouts_one_successor|payouts_one_first_idx/);
    // Following a frontier that is not the prior payout's, and going back behind it.
    expect(await refused(after(sql`${id}::bigint`, { priorThrough: -1 }))).toMatch(/payouts_prior_frontier/);
    expect(await refused(after(sql`${id}::bigint`, { through: -1 }))).toMatch(/payouts_frontier_advances/);
    // The payout that does follow it is accepted (and rolled back here).
    await expect(
      testDb.db.transaction().execute(async (trx) => {
        await after(sql`${id}::bigint`).execute(trx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
  });
});

describe('concurrency and crashes', () => {
  it('four runs started at once for one as_of create each payout once', async () => {
    const runs = await Promise.all(Array.from({ length: 4 }, () => requestPayoutRun(ctx, { currency: 'MXN', as_of: '2025-11-30', min_amount: 0 })));
    expect(runs).toHaveLength(4);
    // MXN: a currency this test owns. The runs were queued first: a run reads the ledger when a worker takes it.
    for (let i = 0; i < 7; i += 1) {
      await ingestEvent(ctx, chargeEvent({ event_id: `c4m_${i}`, restaurant_id: `res_c4_${i}`, currency: 'MXN', occurred_at: '2025-11-01T00:00:00Z', amount: 500 + i, fee: 0 }), {});
    }
    const workers = Array.from({ length: 4 }, () => ({ ...ctx, db: testDb.openPool(2) }) satisfies LedgerContext).map((workerCtx, i) =>
      (async () => {
        while ((await workNextPayoutRun(workerCtx, { owner: `w${i}`, batchSize: 2 })) !== undefined) {}
      })(),
    );
    await Promise.all(workers);
    const finished = await Promise.all(runs.map((run) => getPayoutRun(ctx, run.run_id)));
    expect(finished.every((run) => run.status === 'completed')).toBe(true);
    expect(finished.reduce((sum, run) => sum + run.created, 0)).toBe(7);
    expect(finished.reduce((sum, run) => sum + run.skipped.already_paid_for_as_of, 0)).toBe(21);
    const { rows } = await sql<{ n: number; restaurants: number }>`
      SELECT count(*)::int AS n, count(DISTINCT restaurant_id)::int AS restaurants FROM payouts WHERE currency = 'MXN'`.execute(testDb.db);
    expect(rows[0]).toEqual({ n: 7, restaurants: 7 });
  });

  it('a run whose worker stops mid-way goes back to the queue and finishes later without paying anyone twice', async () => {
    for (let i = 0; i < 5; i += 1) {
      await ingestEvent(ctx, chargeEvent({ event_id: `stop_${i}`, restaurant_id: `res_stop_${i}`, currency: 'CLP', occurred_at: '2025-11-01T00:00:00Z', amount: 100 + i, fee: 0 }), {});
    }
    const run = await requestPayoutRun(ctx, { currency: 'CLP', as_of: '2025-11-30', min_amount: 0 });
    let batches = 0;
    await workNextPayoutRun(ctx, { owner: 'stopper', batchSize: 2, shouldStop: () => ++batches > 1 });
    const paused = await getPayoutRun(ctx, run.run_id);
    expect(paused).toMatchObject({ status: 'queued', created: 2 });
    await workNextPayoutRun(ctx, { owner: 'resumer', batchSize: 2 });
    expect(await getPayoutRun(ctx, run.run_id)).toMatchObject({ status: 'completed', created: 5, attempts: 2 });
  });

  it('a run whose worker died is taken over once its lease expires', async () => {
    await ingestEvent(ctx, chargeEvent({ event_id: 'dead_1', restaurant_id: 'res_dead', currency: 'COP', occurred_at: '2025-11-01T00:00:00Z', amount: 300, fee: 0 }), {});
    const run = await requestPayoutRun(ctx, { currency: 'COP', as_of: '2025-11-30', min_amount: 0 });
    // The first worker claims the run and "dies": it never renews or releases its lease.
    await sql`UPDATE payout_runs SET status = 'running', lease_owner = 'dead', lease_expires_at = ${NOW}::timestamptz + interval '30 seconds',
      cutoff = '2025-11-30T23:59:59.999Z', started_at = ${NOW}::timestamptz, attempts = 1 WHERE id = ${run.run_id}`.execute(testDb.db);
    expect(await workNextPayoutRun(ctx, { owner: 'too-early' })).toBeUndefined();
    const later = { ...ctx, clock: fixedClock('2026-01-15T12:00:31Z') };
    expect(await workNextPayoutRun(later, { owner: 'successor' })).toBe(run.run_id);
    expect(await getPayoutRun(ctx, run.run_id)).toMatchObject({ status: 'completed', created: 1, attempts: 2 });
  });
});

describe('listing payouts', () => {
  it('pages with a cursor in id order and filters by restaurant, currency and status', async () => {
    const all = (await listPayouts(ctx, { limit: 200 })).items;
    const first = await listPayouts(ctx, { limit: 3 });
    const second = await listPayouts(ctx, { limit: 3, cursor: first.next_cursor ?? undefined });
    expect([...first.items, ...second.items].map((p) => p.payout_id)).toEqual(all.slice(0, 6).map((p) => p.payout_id));
    const paid = await listPayouts(ctx, { status: 'paid', limit: 200 });
    expect(paid.items.length).toBeGreaterThan(0);
    expect(paid.items.every((p) => p.status === 'paid')).toBe(true);
    expect((await listPayouts(ctx, { currency: 'MXN', limit: 200 })).items).toHaveLength(7);
    const last = await listPayouts(ctx, { limit: 200 });
    expect(last.next_cursor).toBeNull();
    for (const payout of all) expect(payout.items.reduce((sum, item) => sum + item.amount, 0)).toBe(payout.amount);
  });
});

