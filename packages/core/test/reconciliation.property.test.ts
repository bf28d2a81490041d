import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LedgerItem, type LedgerPayout, reconcile } from '../src/reconciliations/reconciliation-matching.ts';
import { SETTLEMENT_REPORT_HEADER } from '../src/reconciliations/reconciliation.schema.ts';
import { reportTypeOf } from '../src/reconciliations/report-item-types.ts';
import { readSettlementReport } from '../src/reconciliations/settlement-report.ts';

/**
 * Over random event streams settled into random payouts: a report that says what the ledger
 * settled (in any row order, naming items by event_id or payment_id, quoting fields or not, LF or
 * CRLF) reconciles with every payout matched and no item differing; one changed row makes exactly
 * its payout an amount mismatch, by exactly the change; one payout left out is exactly the one
 * listed as in the ledger but not in the report. The report goes through the real CSV reader.
 */
const PAID_DATE = '2025-12-28';

const eventArb = fc.record({
  kind: fc.constantFrom('charge', 'refund', 'dispute_opened', 'dispute_lost'),
  amount: fc.integer({ min: 1, max: 100_000 }),
  fee: fc.integer({ min: 0, max: 500 }),
});
const payoutArb = fc.record({ currency: fc.constantFrom('PEN', 'USD'), events: fc.array(eventArb, { minLength: 1, maxLength: 5 }) });

/** The entries each kind of event writes, signed as the ledger signs them. */
function entriesOf(kind: string, amount: number, fee: number): Array<{ entry_type: string; amount: number }> {
  const withFee = (entries: Array<{ entry_type: string; amount: number }>, feeType = 'fee') => (fee > 0 ? [...entries, { entry_type: feeType, amount: -fee }] : entries);
  if (kind === 'charge') return withFee([{ entry_type: 'sale', amount }]);
  if (kind === 'refund') return withFee([{ entry_type: 'refund', amount: -amount }]);
  if (kind === 'dispute_opened') return withFee([{ entry_type: 'dispute_hold', amount: -amount }], 'dispute_fee');
  return [{ entry_type: 'dispute_release', amount }, { entry_type: 'chargeback', amount: -amount }];
}

interface World {
  payouts: LedgerPayout[];
  items: LedgerItem[];
}

function worldOf(generated: ReadonlyArray<{ currency: string; events: ReadonlyArray<{ kind: string; amount: number; fee: number }> }>): World {
  const items: LedgerItem[] = [];
  const payouts = generated.map(({ currency, events }, p) => {
    const payoutId = String(p + 1);
    events.forEach(({ kind, amount, fee }, e) => {
      for (const entry of entriesOf(kind, amount, fee)) {
        items.push({ payout_id: payoutId, ...entry, event_id: `evt_${p}_${e}`, payment_id: `pay_${p}_${e}` });
      }
    });
    const amount = items.filter((item) => item.payout_id === payoutId).reduce((sum, item) => sum + item.amount, 0);
    return { payout_id: payoutId, restaurant_id: `res_${p}`, currency, amount, status: 'paid', paid_date: PAID_DATE };
  });
  return { payouts, items };
}

/** The report rows saying what the ledger settled: one per entry, by event_id or payment_id. */
function rowsOf(world: World, byPayment: readonly boolean[]): string[][] {
  return world.items.map((item, i) => {
    const payout = world.payouts.find((p) => p.payout_id === item.payout_id);
    const reference = byPayment[i % byPayment.length] === true ? item.payment_id : item.event_id;
    return [item.payout_id, String(item.amount), payout?.currency ?? '', PAID_DATE, reportTypeOf(item.entry_type), reference ?? ''];
  });
}

function csvOf(rows: readonly string[][], order: readonly number[], quoted: boolean, crlf: boolean): string {
  const ordered = order.map((i) => rows[i % rows.length] ?? []);
  const line = (fields: readonly string[]) => fields.map((field) => (quoted ? `"${field}"` : field)).join(',');
  const end = crlf ? '\r\n' : '\n';
  return [SETTLEMENT_REPORT_HEADER, ...ordered.map(line)].join(end) + end;
}

const worldArb = fc.array(payoutArb, { minLength: 1, maxLength: 6 }).map(worldOf);
const shapeArb = fc.record({
  byPayment: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
  quoted: fc.boolean(),
  crlf: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1_000 }),
});

/** A permutation of 0..n-1 from a seed (rows in another order than the ledger's). */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i -= 1) {
    const j = (seed * 31 + i * 17) % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

async function reconcileText(world: World, text: string) {
  const report = await readSettlementReport(text);
  return reconcile(report.payouts, { named: world.payouts, inScope: world.payouts, items: world.items });
}

describe('reconciling random ledgers with reports made from them', () => {
  it('matches every payout, item by item, whatever the row order, references, quoting and line ends', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, shapeArb, async (world, { byPayment, quoted, crlf, seed }) => {
        const rows = rowsOf(world, byPayment);
        const lists = await reconcileText(world, csvOf(rows, shuffled(rows.length, seed), quoted, crlf));
        expect(lists.matched.map((m) => [m.payout_id, m.amount, m.differing_items])).toEqual(
          expect.arrayContaining(world.payouts.map((p) => [p.payout_id, p.amount, []])),
        );
        expect(lists.matched).toHaveLength(world.payouts.length);
        expect([lists.amount_mismatch, lists.in_ledger_not_in_report, lists.in_report_not_in_ledger]).toEqual([[], [], []]);
      }),
      { numRuns: 150 },
    );
  });

  it('puts exactly the payout of a changed row in amount_mismatch, by exactly the change', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.nat(), fc.integer({ min: 1, max: 50 }), async (world, pick, delta) => {
        const rows = rowsOf(world, [false]);
        const changed = rows[pick % rows.length] ?? [];
        const amount = Number(changed[1]);
        // Away from zero, so the row keeps the sign its type requires.
        changed[1] = String(amount + Math.sign(amount) * delta);
        const lists = await reconcileText(world, csvOf(rows, shuffled(rows.length, pick), false, false));
        expect(lists.amount_mismatch.map((m) => [m.payout_id, m.difference])).toEqual([[changed[0], Math.sign(amount) * delta]]);
        const differing = lists.amount_mismatch[0]?.differing_items ?? [];
        expect(differing.map(({ type, reference }) => [type, reference])).toEqual([[changed[4], changed[5]]]);
        expect((differing[0]?.report_amount ?? 0) - (differing[0]?.ledger_amount ?? 0)).toBe(Math.sign(amount) * delta);
        expect(lists.matched).toHaveLength(world.payouts.length - 1);
      }),
      { numRuns: 100 },
    );
  });

  it('lists exactly the payout left out of the report as in the ledger but not in the report', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb.filter((w) => w.payouts.length > 1), fc.nat(), async (world, pick) => {
        const left = world.payouts[pick % world.payouts.length] as LedgerPayout;
        const rows = rowsOf(world, [true, false]).filter((row) => row[0] !== left.payout_id);
        const lists = await reconcileText(world, csvOf(rows, shuffled(rows.length, pick), false, true));
        expect(lists.in_ledger_not_in_report.map((p) => [p.payout_id, p.amount])).toEqual([[left.payout_id, left.amount]]);
        expect(lists.matched).toHaveLength(world.payouts.length - 1);
        expect([lists.amount_mismatch, lists.in_report_not_in_ledger]).toEqual([[], []]);
      }),
      { numRuns: 100 },
    );
  });
});
