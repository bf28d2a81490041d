import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getReconciliation,
  importReconciliation,
  ingestEvent,
  integrityReport,
  type LedgerContext,
  listPayouts,
  type Payout,
  requestPayoutRun,
  SETTLEMENT_REPORT_HEADER,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, expectLedgerError, refundEvent, type TestDatabase } from './support/index.ts';

const NOW = '2026-01-15T12:00:00Z';

let testDb: TestDatabase;
let ctx: LedgerContext;
/** The payouts are made on 2025-12-21, before the processor pays them; the tests run later. */
let now = new Date('2025-12-21T00:00:00Z');
/** The story's payouts by restaurant (PEN unless the key says USD). */
const payouts: Record<string, Payout> = {};

async function runPayouts(currency: string, asOf: string): Promise<void> {
  await requestPayoutRun(ctx, { currency, as_of: asOf, min_amount: 0 });
  while ((await workNextPayoutRun(ctx, { owner: 'reconciliation-test' })) !== undefined) {}
}

async function pay(payout: Payout, occurredAt: string): Promise<void> {
  const event = chargeEvent({
    event_id: `paid_${payout.payout_id}`,
    event_type: 'payout_paid',
    restaurant_id: payout.restaurant_id,
    currency: payout.currency,
    amount: payout.amount,
    fee: 0,
    occurred_at: occurredAt,
    metadata: { payout_id: payout.payout_id },
  });
  expect((await ingestEvent(ctx, event, {})).payout?.result).toBe('applied');
}

/**
 * r_a: charge 12000 (fee 600, pay_a1) and a refund of 2000 → payout 9400, paid 2025-12-22.
 * r_b: charge 30000 (fee 900) → 29100, paid 2025-12-22. r_c: 5000 → paid 2025-12-23.
 * r_d: 4000 → payout left created. r_a in USD: 7000 → paid 2025-12-22.
 */
async function seed(): Promise<void> {
  const events = [
    chargeEvent({ event_id: 'r_a1', restaurant_id: 'res_r_a', occurred_at: '2025-12-01T00:00:00Z', amount: 12000, fee: 600, metadata: { payment_id: 'pay_a1' } }),
    refundEvent({ event_id: 'r_a2', restaurant_id: 'res_r_a', occurred_at: '2025-12-05T00:00:00Z', amount: 2000, fee: 0, metadata: { payment_id: 'pay_a1' } }),
    chargeEvent({ event_id: 'r_b1', restaurant_id: 'res_r_b', occurred_at: '2025-12-02T00:00:00Z', amount: 30000, fee: 900 }),
    chargeEvent({ event_id: 'r_c1', restaurant_id: 'res_r_c', occurred_at: '2025-12-03T00:00:00Z', amount: 5000, fee: 0 }),
    chargeEvent({ event_id: 'r_d1', restaurant_id: 'res_r_d', occurred_at: '2025-12-03T00:00:00Z', amount: 4000, fee: 0 }),
    chargeEvent({ event_id: 'r_u1', restaurant_id: 'res_r_a', currency: 'USD', occurred_at: '2025-12-03T00:00:00Z', amount: 7000, fee: 0 }),
  ];
  for (const event of events) await ingestEvent(ctx, event, {});
  await runPayouts('PEN', '2025-12-20');
  await runPayouts('USD', '2025-12-20');
  now = new Date('2025-12-24T00:00:00Z');
  for (const payout of (await listPayouts(ctx, { limit: 200 })).items) {
    payouts[payout.currency === 'USD' ? `${payout.restaurant_id}_usd` : payout.restaurant_id] = payout;
  }
  await pay(payouts.res_r_a as Payout, '2025-12-22T10:00:00Z');
  await pay(payouts.res_r_b as Payout, '2025-12-22T11:00:00Z');
  await pay(payouts.res_r_c as Payout, '2025-12-23T09:00:00Z');
  await pay(payouts.res_r_a_usd as Payout, '2025-12-22T10:00:00Z');
}

const id = (restaurant: string) => payouts[restaurant]?.payout_id ?? 'missing';
const file = (...rows: string[]) => `${[SETTLEMENT_REPORT_HEADER, ...rows].join('\n')}\n`;
/** Rows that describe r_a's and r_b's payouts exactly as the ledger settled them. */
const rowsOfAAndB = () => [
  `${id('res_r_a')},12000,PEN,2025-12-22,charge,r_a1`,
  `${id('res_r_a')},-600,PEN,2025-12-22,fee,r_a1`,
  `${id('res_r_a')},-2000,PEN,2025-12-22,refund,r_a2`,
  `${id('res_r_b')},30000,PEN,2025-12-22,charge,r_b1`,
  `${id('res_r_b')},-900,PEN,2025-12-22,fee,r_b1`,
];
const storedCount = async () => Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM reconciliations`.execute(testDb.db)).rows[0]?.n);

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: () => new Date(now) });
  await seed();
  now = new Date(NOW);
});
afterAll(() => testDb.close());

describe('reconciling a settlement report with the ledger', () => {
  it('matches every payout the report describes as the ledger settled it, item by item', async () => {
    const result = await importReconciliation(ctx, file(...rowsOfAAndB()));
    expect(result).toMatchObject({
      idempotent: false,
      scope: { currencies: ['PEN'], paid_from: '2025-12-22', paid_to: '2025-12-22' },
      counts: { rows: 5, payouts: 2, matched: 2, amount_mismatch: 0, in_ledger_not_in_report: 0, in_report_not_in_ledger: 0 },
    });
    expect(result.matched).toEqual([
      { payout_id: id('res_r_a'), restaurant_id: 'res_r_a', currency: 'PEN', amount: 9400, paid_date: '2025-12-22', ledger_paid_date: '2025-12-22', differing_items: [] },
      { payout_id: id('res_r_b'), restaurant_id: 'res_r_b', currency: 'PEN', amount: 29100, paid_date: '2025-12-22', ledger_paid_date: '2025-12-22', differing_items: [] },
    ]);
    expect(await getReconciliation(ctx, result.reconciliation_id)).toEqual({ ...result, idempotent: undefined });
  });

  it('returns the same reconciliation for the same bytes, writing nothing', async () => {
    const before = await storedCount();
    const first = await importReconciliation(ctx, file(...rowsOfAAndB()));
    expect(first.idempotent).toBe(true);
    const again = await importReconciliation(ctx, file(...rowsOfAAndB()));
    expect(again).toEqual(first);
    expect(await storedCount()).toBe(before);
  });

  it('names a payout the report lacks inside its scope, and leaves payouts outside the scope alone', async () => {
    // Scope: PEN, 2025-12-22 to 2025-12-23. r_c (paid 12-23) is missing; r_d is not paid; USD is outside.
    const result = await importReconciliation(ctx, file(...rowsOfAAndB(), `${id('res_r_d')},4000,PEN,2025-12-23,charge,r_d1`));
    expect(result.scope).toEqual({ currencies: ['PEN'], paid_from: '2025-12-22', paid_to: '2025-12-23' });
    expect(result.in_ledger_not_in_report).toEqual([
      { payout_id: id('res_r_c'), restaurant_id: 'res_r_c', currency: 'PEN', amount: 5000, ledger_paid_date: '2025-12-23' },
    ]);
    expect(result.in_report_not_in_ledger).toEqual([
      { payout_id: id('res_r_d'), currency: 'PEN', amount: 4000, paid_date: '2025-12-23', reason: 'not_paid', ledger_status: 'created', ledger_currency: 'PEN' },
    ]);
    expect(result.counts).toMatchObject({ matched: 2, in_ledger_not_in_report: 1, in_report_not_in_ledger: 1 });
  });

  it('shows both amounts of a payout whose total differs, and the items that differ', async () => {
    const rows = rowsOfAAndB().map((row) => row.replace(',-900,PEN,2025-12-22,fee,r_b1', ',-950,PEN,2025-12-22,fee,r_b1'));
    const result = await importReconciliation(ctx, file(...rows));
    expect(result.amount_mismatch).toEqual([
      {
        payout_id: id('res_r_b'),
        restaurant_id: 'res_r_b',
        currency: 'PEN',
        paid_date: '2025-12-22',
        ledger_paid_date: '2025-12-22',
        ledger_amount: 29100,
        report_amount: 29050,
        difference: -50,
        differing_items: [{ type: 'fee', reference: 'r_b1', ledger_amount: -900, report_amount: -950 }],
      },
    ]);
    expect(result.counts).toMatchObject({ matched: 1, amount_mismatch: 1 });
  });

  it('matches items named by payment_id, and lists items the report lacks or invents', async () => {
    const result = await importReconciliation(ctx, file(
      `${id('res_r_a')},12000,PEN,2025-12-22,charge,pay_a1`,
      `${id('res_r_a')},-2600,PEN,2025-12-22,refund,pay_a1`,
    ));
    expect(result.matched).toHaveLength(1);
    expect(result.matched[0]?.differing_items).toEqual([
      // pay_a1 names one refund event, so the difference is named by its event_id.
      { type: 'refund', reference: 'r_a2', ledger_amount: -2000, report_amount: -2600 },
      { type: 'fee', reference: 'r_a1', ledger_amount: -600, report_amount: null },
    ]);
  });

  it('puts unknown payouts, unpaid ones and ones in another currency in the report-only list', async () => {
    const result = await importReconciliation(ctx, file(
      '999999,100,PEN,2025-12-24,charge,evt_x',
      'po_not_ours,100,PEN,2025-12-24,charge,evt_y',
      `${id('res_r_a_usd')},7000,PEN,2025-12-24,charge,r_u1`,
    ));
    expect(result.in_report_not_in_ledger.map(({ payout_id, reason, ledger_status }) => ({ payout_id, reason, ledger_status }))).toEqual([
      { payout_id: '999999', reason: 'unknown_payout', ledger_status: null },
      { payout_id: 'po_not_ours', reason: 'unknown_payout', ledger_status: null },
      { payout_id: id('res_r_a_usd'), reason: 'currency_differs', ledger_status: 'paid' },
    ]);
    expect(result.in_ledger_not_in_report).toEqual([]);
  });

  it('refuses a malformed file naming every bad line, and stores nothing', async () => {
    const before = await storedCount();
    const error = await expectLedgerError(
      importReconciliation(ctx, file(
        `${id('res_r_a')},12000,PEN,2025-12-22,charge,r_a1`,
        `${id('res_r_a')},12.00,PEN,2025-12-22,charge,r_a1`,
        `${id('res_r_a')},-600,pen,2025-12-22,fee,r_a1`,
        `${id('res_r_a')},-600,PEN,2025-12-32,fee,r_a1`,
        `${id('res_r_a')},-600,PEN,2025-12-22,tip,r_a1`,
        `${id('res_r_a')},-600,PEN,2025-12-22,fee,`,
        `${id('res_r_a')},-600,PEN,2025-12-22,fee`,
        `${id('res_r_a')},"-600"x,PEN,2025-12-22,fee,r_a1`,
        '',
        `${id('res_r_a')},600,PEN,2025-12-22,fee,r_a1`,
        `${id('res_r_a')},-600,USD,2025-12-22,fee,r_a1`,
        `${id('res_r_a')},"-600",PEN,2025-12-22,"fee",r_a1`,
      )),
      'RECONCILIATION_FILE_INVALID',
    );
    expect(error.details.bad_lines).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const lines = error.details.lines as Array<{ line: number; problems: Array<{ field: string }> }>;
    expect(lines.map(({ line, problems }) => [line, problems.map((p) => p.field)])).toEqual([
      [3, ['amount']],
      [4, ['currency']],
      [5, ['paid_date']],
      [6, ['type']],
      [7, ['reference']],
      [8, ['(line)']],
      [9, ['amount']],
      [10, ['(line)']],
      [11, ['amount']],
      [12, ['currency']],
    ]);
    expect(await storedCount()).toBe(before);
  });

  it.each([
    ['an empty file', '', [1]],
    ['a header alone', `${SETTLEMENT_REPORT_HEADER}\n`, [1]],
    ['a wrong header, and a bad row after it', 'payout,amount,currency,paid_date,type,reference\n1,x,PEN,2025-12-22,charge,a\n', [1, 2]],
    ['an unclosed quote, which does not swallow the lines after it', `${SETTLEMENT_REPORT_HEADER}\n1,"12000,PEN,2025-12-22,charge,a\n1,100,PEN,2025-12-22,charge,b\n1,-1,PEN,2025-12-22,charge,c\n`, [2, 4]],
  ])('refuses %s with the lines named', async (_what, text, badLines) => {
    const error = await expectLedgerError(importReconciliation(ctx, text), 'RECONCILIATION_FILE_INVALID');
    expect(error.details.bad_lines).toEqual(badLines);
  });

  it('reads a spreadsheet export: byte-order mark, CRLF line ends, fields quoted whole', async () => {
    const text = `\ufeff${SETTLEMENT_REPORT_HEADER}\r\n"${id('res_r_c')}","5000","PEN","2025-12-23","charge","r_c1"\r\n`;
    const result = await importReconciliation(ctx, text);
    expect(result.matched.map((m) => [m.payout_id, m.amount, m.differing_items])).toEqual([[id('res_r_c'), 5000, []]]);
  });

  it('answers RECONCILIATION_NOT_FOUND for unknown and malformed ids', async () => {
    await expectLedgerError(getReconciliation(ctx, '424242'), 'RECONCILIATION_NOT_FOUND');
    await expectLedgerError(getReconciliation(ctx, 'abc'), 'RECONCILIATION_NOT_FOUND');
  });

  it('scopes by the paid date the processor gave, even one before the payout was created (a run for a past as_of)', async () => {
    await ingestEvent(ctx, chargeEvent({ event_id: 'r_e1', restaurant_id: 'res_r_e', currency: 'EUR', occurred_at: '2025-12-03T00:00:00Z', amount: 3000, fee: 0 }), {});
    await runPayouts('EUR', '2025-12-20');
    const [late] = (await listPayouts(ctx, { currency: 'EUR', limit: 200 })).items;
    expect(late?.created_at).toBe(new Date(NOW).toISOString());
    await pay(late as Payout, '2025-12-28T09:00:00Z');
    // A report of that day that lacks the payout: it is missing, found by its paid date, not its creation.
    const result = await importReconciliation(ctx, file('424242,100,EUR,2025-12-28,charge,nope'));
    expect(result.in_ledger_not_in_report.map((p) => [p.payout_id, p.ledger_paid_date])).toEqual([[late?.payout_id, '2025-12-28']]);
  });

  it('keeps Q4 healthy, and names a stored reconciliation whose counts disagree with its lists', async () => {
    expect(await integrityReport(ctx)).toEqual({ healthy: true, items: [] });
    await testDb.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await sql`UPDATE reconciliations SET matched_count = matched_count + 1 WHERE id = (SELECT MIN(id) FROM reconciliations)`.execute(trx);
    });
    const report = await integrityReport(ctx);
    expect(report.items).toEqual([expect.objectContaining({ reason: 'RECONCILIATION_COUNTS_MISMATCH', detail: expect.stringMatching(/^reconciliation \d+: /) })]);
  });

  it('refuses to change or delete a stored reconciliation', async () => {
    await expect(sql`UPDATE reconciliations SET row_count = 99`.execute(testDb.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM reconciliations`.execute(testDb.db)).rejects.toThrow(/append-only/);
  });
});
