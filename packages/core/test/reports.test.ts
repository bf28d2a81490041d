import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  balancesReport,
  type BalancesReportInput,
  ingestEvent,
  integrityReport,
  type LedgerContext,
  listPayouts,
  payoutEligibilityReport,
  requestPayoutRun,
  topRestaurants,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, fixedClock, refundEvent, type TestDatabase } from './support/index.ts';

const NOW = '2026-01-15T12:00:00Z';

async function seed(ctx: LedgerContext): Promise<void> {
  const events = [
    chargeEvent({ event_id: 'q_a1', restaurant_id: 'res_q_a', occurred_at: '2026-01-01T00:00:00Z', amount: 10000, fee: 500 }),
    refundEvent({ event_id: 'q_a2', restaurant_id: 'res_q_a', occurred_at: '2026-01-05T00:00:00Z', amount: 2000, fee: 0 }),
    chargeEvent({ event_id: 'q_b1', restaurant_id: 'res_q_b', occurred_at: '2026-01-10T00:00:00Z', amount: 30000, fee: 900 }),
    chargeEvent({ event_id: 'q_c1', restaurant_id: 'res_q_c', occurred_at: '2025-11-01T00:00:00Z', amount: 5000, fee: 0 }),
    chargeEvent({ event_id: 'q_a3', restaurant_id: 'res_q_a', currency: 'USD', occurred_at: '2026-01-02T00:00:00Z', amount: 7000, fee: 0 }),
  ];
  for (const event of events) await ingestEvent(ctx, event, {});
}

async function runPayouts(ctx: LedgerContext, currency: string, asOf: string): Promise<void> {
  await requestPayoutRun(ctx, { currency, as_of: asOf, min_amount: 0 });
  while ((await workNextPayoutRun(ctx, { owner: 'reports-test' })) !== undefined) {}
}

describe('reports on a crafted ledger with known answers', () => {
  let testDb: TestDatabase;
  let ctx: LedgerContext;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    ctx = testDb.context({ clock: fixedClock(NOW) });
    await seed(ctx);
  });
  afterAll(() => testDb.close());

  const q1 = (input: Partial<BalancesReportInput>) => balancesReport(ctx, { currency: 'PEN', limit: 100, ...input });

  it('Q1 gives each restaurant its available balance and last event in one currency', async () => {
    expect((await q1({})).items).toEqual([
      { restaurant_id: 'res_q_a', available: 7500, last_event_at: '2026-01-05T00:00:00.000Z' },
      { restaurant_id: 'res_q_b', available: 0, last_event_at: '2026-01-10T00:00:00.000Z' },
      { restaurant_id: 'res_q_c', available: 5000, last_event_at: '2025-11-01T00:00:00.000Z' },
    ]);
    expect((await q1({ currency: 'USD' })).items).toEqual([
      { restaurant_id: 'res_q_a', available: 7000, last_event_at: '2026-01-02T00:00:00.000Z' },
    ]);
  });

  it('Q1 replays a past moment and pages by restaurant id', async () => {
    expect((await q1({ as_of: new Date('2026-01-06T00:00:00Z') })).items).toEqual([
      { restaurant_id: 'res_q_a', available: -2000, last_event_at: '2026-01-05T00:00:00.000Z' },
      { restaurant_id: 'res_q_c', available: 5000, last_event_at: '2025-11-01T00:00:00.000Z' },
    ]);
    const first = await q1({ limit: 2 });
    expect(first.items.map((i) => i.restaurant_id)).toEqual(['res_q_a', 'res_q_b']);
    const second = await q1({ limit: 2, cursor: first.next_cursor ?? undefined });
    expect(second).toMatchObject({ items: [{ restaurant_id: 'res_q_c' }], next_cursor: null });
  });

  it('Q2 ranks restaurants by sales - fees - refunds in the window, with charge and refund counts', async () => {
    expect((await topRestaurants(ctx, { currency: 'PEN', days: 30 })).items).toEqual([
      { rank: 1, restaurant_id: 'res_q_b', net_revenue: 29100, charges: 1, refunds: 0 },
      { rank: 2, restaurant_id: 'res_q_a', net_revenue: 7500, charges: 1, refunds: 1 },
    ]);
    const wider = await topRestaurants(ctx, { currency: 'PEN', days: 90 });
    expect(wider.items.map((i) => [i.rank, i.restaurant_id])).toEqual([
      [1, 'res_q_b'],
      [2, 'res_q_a'],
      [3, 'res_q_c'],
    ]);
    expect(wider).toMatchObject({ from: '2025-10-17T12:00:00.000Z', to: '2026-01-15T12:00:00.000Z' });
  });

  it('Q3 lists exactly whom a run would pay, and nobody once the run has paid them', async () => {
    const eligible = await payoutEligibilityReport(ctx, { currency: 'PEN', as_of: '2026-01-14', min_amount: 0 });
    expect(eligible).toMatchObject({
      cutoff: '2026-01-14T23:59:59.999Z',
      items: [
        { restaurant_id: 'res_q_a', amount: 7500 },
        { restaurant_id: 'res_q_c', amount: 5000 },
      ],
    });
    expect((await payoutEligibilityReport(ctx, { currency: 'PEN', as_of: '2026-01-14', min_amount: 6000 })).items).toEqual([
      { restaurant_id: 'res_q_a', amount: 7500 },
    ]);
    await runPayouts(ctx, 'PEN', '2026-01-14');
    const paid = (await listPayouts(ctx, { currency: 'PEN', limit: 200 })).items.map((p) => ({ restaurant_id: p.restaurant_id, amount: p.amount }));
    expect(paid).toEqual(eligible.items);
    expect((await payoutEligibilityReport(ctx, { currency: 'PEN', as_of: '2026-01-14', min_amount: 0 })).items).toEqual([]);
    expect((await payoutEligibilityReport(ctx, { currency: 'PEN', as_of: '2026-01-15', min_amount: 0 })).items).toEqual([]); // open payouts
  });

  it('Q4 reports nothing on a healthy ledger, payouts included', async () => {
    expect(await integrityReport(ctx)).toEqual({ healthy: true, items: [] });
  });
});

describe('Q4 on a damaged ledger reports each kind of damage with its reason', () => {
  let testDb: TestDatabase;
  let ctx: LedgerContext;
  const pk = async (eventId: string) =>
    (await sql<{ id: string }>`SELECT id::text AS id FROM processor_events WHERE event_id = ${eventId}`.execute(testDb.db)).rows[0]?.id ?? '0';

  beforeAll(async () => {
    testDb = await createTestDatabase();
    ctx = testDb.context({ clock: fixedClock(NOW) });
    await seed(ctx);
    for (const [id, restaurant] of [['d_1', 'res_d_1'], ['d_2', 'res_d_2'], ['d_3', 'res_d_3'], ['d_4', 'res_d_4'], ['d_5', 'res_d_5']] as const) {
      await ingestEvent(ctx, chargeEvent({ event_id: id, restaurant_id: restaurant, currency: 'MXN', occurred_at: '2025-12-01T00:00:00Z', amount: 1000, fee: 100 }), {});
    }
    await runPayouts(ctx, 'MXN', '2025-12-31');
  });
  afterAll(() => testDb.close());

  /** Damage the ledger the way only a superuser around the triggers could: replica mode skips them. */
  async function plant(statement: ReturnType<typeof sql>): Promise<void> {
    await testDb.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await statement.execute(trx);
    });
  }

  const reasonsFor = async () => (await integrityReport(ctx)).items;

  it.each([
    ['EVENT_WITHOUT_ENTRIES', 'an event lost its entries', async () => plant(sql`DELETE FROM ledger_entries WHERE processor_event_id = ${await pk('q_c1')}`), 'q_c1'],
    [
      'EVENT_ENTRIES_MISMATCH',
      'an entry amount was changed',
      async () => plant(sql`UPDATE ledger_entries SET amount_minor = amount_minor + 1 WHERE processor_event_id = ${await pk('q_b1')} AND entry_type = 'sale'`),
      'q_b1',
    ],
    ['PAYOUT_EVENT_UNMATCHED', 'a payout event names no payout', async () => {
      await ingestEvent(ctx, chargeEvent({ event_id: 'd_unmatched', event_type: 'payout_paid', restaurant_id: 'res_q_a', amount: 10, fee: 0, metadata: { payout_id: '424242' } }), {});
    }, 'd_unmatched'],
  ])('%s when %s', async (reason, _what, damage, eventId) => {
    await damage();
    const report = await integrityReport(ctx);
    expect(report.healthy).toBe(false);
    expect(report.items).toContainEqual(expect.objectContaining({ reason, event_id: eventId }));
  });

  it('PAYOUT_EVENT_CONTRADICTED when the processor says failed for a paid payout, and a numeric payout_id matches nothing', async () => {
    const [payout] = (await listPayouts(ctx, { currency: 'MXN', restaurant_id: 'res_d_5', limit: 1 })).items;
    const outcome = (eventId: string, eventType: string, payoutId: unknown) =>
      ingestEvent(
        ctx,
        chargeEvent({ event_id: eventId, event_type: eventType, restaurant_id: 'res_d_5', currency: 'MXN', amount: payout?.amount, fee: 0, metadata: { payout_id: payoutId } }),
        {},
      );
    expect((await outcome('d_paid', 'payout_paid', payout?.payout_id)).payout?.result).toBe('applied');
    expect((await outcome('d_failed_late', 'payout_failed', payout?.payout_id)).payout?.result).toBe('already_final');
    expect((await outcome('d_numeric', 'payout_paid', Number(payout?.payout_id))).payout?.result).toBe('unknown_payout');
    const items = await reasonsFor();
    expect(items).toContainEqual({
      reason: 'PAYOUT_EVENT_CONTRADICTED',
      event_id: 'd_failed_late',
      entry_id: null,
      payout_id: payout?.payout_id,
      detail: 'payout_failed for a payout that is paid',
    });
    expect(items.filter((i) => i.event_id === 'd_paid')).toEqual([]);
    expect(items).toContainEqual(expect.objectContaining({ reason: 'PAYOUT_EVENT_UNMATCHED', event_id: 'd_numeric' }));
  });

  it('ENTRY_WITHOUT_SOURCE when an event row vanished under its entries', async () => {
    const eventPk = await pk('q_a3');
    const { rows } = await sql<{ id: string }>`SELECT id::text AS id FROM ledger_entries WHERE processor_event_id = ${eventPk}`.execute(testDb.db);
    await plant(sql`DELETE FROM processor_events WHERE id = ${eventPk}`);
    expect(await reasonsFor()).toContainEqual(expect.objectContaining({ reason: 'ENTRY_WITHOUT_SOURCE', entry_id: rows[0]?.id }));
  });

  it('ENTRY_WRONG_SIGN when a fee became a credit', async () => {
    await sql`ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_sign_by_type`.execute(testDb.db);
    const { rows } = await sql<{ id: string }>`
      SELECT le.id::text AS id FROM ledger_entries le JOIN processor_events pe ON pe.id = le.processor_event_id
      WHERE pe.event_id = 'q_a1' AND le.entry_type = 'fee'`.execute(testDb.db);
    await plant(sql`UPDATE ledger_entries SET amount_minor = 500 WHERE id = ${rows[0]?.id ?? '0'}`);
    expect(await reasonsFor()).toContainEqual(expect.objectContaining({ reason: 'ENTRY_WRONG_SIGN', entry_id: rows[0]?.id, detail: 'fee of 500' }));
  });

  it('PAYOUT_ITEMS_MISMATCH when a payout amount was changed, PAYOUT_NOT_ZERO_SUM when its own entry vanished', async () => {
    const payouts = (await listPayouts(ctx, { currency: 'MXN', limit: 200 })).items;
    const [first, second] = payouts;
    await plant(sql`UPDATE payouts SET amount_minor = amount_minor + 1 WHERE id = ${first?.payout_id ?? '0'}`);
    await plant(sql`DELETE FROM ledger_entries WHERE payout_id = ${second?.payout_id ?? '0'} AND entry_type = 'payout'`);
    const items = await reasonsFor();
    expect(items).toContainEqual(expect.objectContaining({ reason: 'PAYOUT_ITEMS_MISMATCH', payout_id: first?.payout_id }));
    expect(items).toContainEqual(expect.objectContaining({ reason: 'PAYOUT_NOT_ZERO_SUM', payout_id: second?.payout_id }));
    expect(items.filter((i) => i.payout_id === first?.payout_id).map((i) => i.reason)).toEqual(['PAYOUT_ITEMS_MISMATCH']);
  });

  it('PAYOUT_FRONTIER_BROKEN when a payout no longer follows its prior frontier, or two follow the same one', async () => {
    const [first, second, third] = (await listPayouts(ctx, { currency: 'MXN', limit: 200 })).items;
    expect((await reasonsFor()).filter((i) => i.reason === 'PAYOUT_FRONTIER_BROKEN')).toEqual([]);
    // The third restaurant's first payout made to follow the first restaurant's.
    await plant(sql`UPDATE payouts SET prior_payout_id = ${first?.payout_id ?? '0'} WHERE id = ${third?.payout_id ?? '0'}`);
    // A second payout after the same prior (the unique index dropped first, as damage around it would).
    await sql`ALTER TABLE payouts DROP CONSTRAINT payouts_one_successor`.execute(testDb.db);
    await sql`DROP INDEX payouts_one_first_idx`.execute(testDb.db);
    const { rows } = await sql<{ id: string }>`
      INSERT INTO payouts (restaurant_id, currency, amount_minor, as_of, cutoff, run_id, created_at, status, paid_at,
        prior_payout_id, prior_through_entry_id, prior_cutoff, settled_through_entry_id)
      SELECT restaurant_id, currency, amount_minor, as_of + 1000, cutoff, run_id, created_at, 'paid', created_at,
        prior_payout_id, prior_through_entry_id, prior_cutoff, settled_through_entry_id
      FROM payouts WHERE id = ${second?.payout_id ?? '0'}
      RETURNING id::text AS id`.execute(testDb.db);
    const broken = (await reasonsFor()).filter((i) => i.reason === 'PAYOUT_FRONTIER_BROKEN').map((i) => i.payout_id);
    expect(broken.sort()).toEqual([second?.payout_id, third?.payout_id, rows[0]?.id].sort());
  });
});
