import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  getPayoutRun,
  ingestEvent,
  listPayouts,
  PAYOUT_SKIP_REASONS,
  type PayoutRun,
  type PayoutSkipCounts,
  payoutEligibilityReport,
  requestPayoutRun,
  updateRestaurant,
  workNextPayoutRun,
} from '../src/index.ts';
import { decide } from '../src/payouts/payout-run.service.ts';
import { chargeEvent, refundEvent, suiteDatabase } from './support/index.ts';

const NOW = '2026-01-15T12:00:00Z';
const noneSkipped = (): PayoutSkipCounts => Object.fromEntries(PAYOUT_SKIP_REASONS.map((reason) => [reason, 0])) as PayoutSkipCounts;

describe('deciding a batch (no database)', () => {
  it('pays the rows without a reason and counts every other row under its reason', () => {
    const plan = decide([
      { restaurant_id: 'res_a', amount: '10400', skip_reason: null },
      { restaurant_id: 'res_b', amount: 3000, skip_reason: 'below_min_amount' },
      { restaurant_id: 'res_c', amount: 0n, skip_reason: 'not_positive' },
      { restaurant_id: 'res_d', amount: '0', skip_reason: 'not_positive' },
      { restaurant_id: 'res_e', amount: 7n, skip_reason: null },
    ]);
    expect(plan.payable).toEqual([
      { restaurant_id: 'res_a', amount: 10400 },
      { restaurant_id: 'res_e', amount: 7 },
    ]);
    expect(plan.skipped).toEqual({ ...noneSkipped(), below_min_amount: 1, not_positive: 2 });
  });

  it('refuses to pay an amount that is not positive or not exact, whatever the rule said', () => {
    expect(() => decide([{ restaurant_id: 'res_a', amount: '0', skip_reason: null }])).toThrow(/res_a/);
    expect(() => decide([{ restaurant_id: 'res_a', amount: '9007199254740992', skip_reason: null }])).toThrow(/2\^53-1/);
  });
});

describe('docs/payouts.md', () => {
  it('lists every skip reason a run counts, and no other', () => {
    const docs = readFileSync(new URL('../../../docs/payouts.md', import.meta.url), 'utf8');
    const listed = [...docs.matchAll(/^ {2}- `([a-z_]+)`:/gm)].map((match) => match[1]);
    expect([...listed].sort()).toEqual([...PAYOUT_SKIP_REASONS].sort());
  });
});

describe('the eligibility rule, shared by payout runs and Q3', () => {
  const suite = suiteDatabase(NOW);

  const charge = (restaurant: string, id: string, amount: number, occurredAt = '2025-12-01T10:00:00Z') =>
    ingestEvent(suite.ctx, chargeEvent({ event_id: id, restaurant_id: restaurant, occurred_at: occurredAt, amount, fee: 0 }), {});

  async function runToEnd(asOf: string, minAmount = 0): Promise<PayoutRun> {
    const run = await requestPayoutRun(suite.ctx, { currency: 'PEN', as_of: asOf, min_amount: minAmount });
    while ((await workNextPayoutRun(suite.ctx, { owner: 'eligibility-test', batchSize: 3 })) !== undefined) {}
    return getPayoutRun(suite.ctx, run.run_id);
  }

  async function markPaid(restaurant: string): Promise<void> {
    const [payout] = (await listPayouts(suite.ctx, { restaurant_id: restaurant, limit: 10 })).items;
    if (payout === undefined) throw new Error(`${restaurant} has no payout`);
    const { payout_id, amount } = payout;
    await ingestEvent(suite.ctx, chargeEvent({ event_id: `paid_${payout_id}`, event_type: 'payout_paid', occurred_at: NOW, restaurant_id: restaurant, amount, fee: 0, metadata: { payout_id } }), {});
  }

  it('skips one restaurant for each reason, and pays exactly whom Q3 lists', async () => {
    await charge('res_e_open', 'e_open_1', 8000);
    await runToEnd('2025-12-20'); // res_e_open: a payout that stays created
    await charge('res_e_same', 'e_same_1', 6000);
    await runToEnd('2026-01-05');
    await markPaid('res_e_same'); // paid for the as_of of the last run below
    await charge('res_e_later', 'e_later_1', 9000);
    await runToEnd('2026-01-10');
    await markPaid('res_e_later'); // paid with a later cutoff than the last run's

    await charge('res_e_same', 'e_same_2', 7000, '2025-12-02T10:00:00Z');
    await charge('res_e_later', 'e_later_2', 7000, '2025-12-02T10:00:00Z');
    await charge('res_e_open', 'e_open_2', 7000, '2025-12-02T10:00:00Z');
    await charge('res_e_pay', 'e_pay_1', 10000);
    await charge('res_e_min', 'e_min_1', 3000);
    // Above the run's min_amount, below its own minimum for PEN (its USD minimum does not apply).
    await charge('res_e_own_min', 'e_own_min_1', 15000);
    await updateRestaurant(suite.ctx, { restaurant_id: 'res_e_own_min', payout_minimum: { PEN: 20000, USD: 1 } });
    await ingestEvent(suite.ctx, refundEvent({ event_id: 'e_neg_1', restaurant_id: 'res_e_neg', occurred_at: '2025-12-01T10:00:00Z', amount: 700 }), {});
    await charge('res_e_huge', 'e_huge_1', Number.MAX_SAFE_INTEGER);
    await charge('res_e_huge', 'e_huge_2', Number.MAX_SAFE_INTEGER);

    const eligible = await payoutEligibilityReport(suite.ctx, { currency: 'PEN', as_of: '2026-01-05', min_amount: 5000 });
    expect(eligible.items).toEqual([{ restaurant_id: 'res_e_pay', amount: 10000 }]);

    const run = await runToEnd('2026-01-05', 5000);
    expect(run.created).toBe(1);
    expect(run.skipped).toEqual({
      below_min_amount: 1,
      not_positive: 1,
      open_payout: 1,
      already_paid_for_as_of: 1,
      later_payout_exists: 1,
      amount_out_of_range: 1,
      below_payout_minimum: 1,
    });
    const paid = (await listPayouts(suite.ctx, { currency: 'PEN', limit: 200 })).items.filter((p) => p.as_of === '2026-01-05' && p.restaurant_id !== 'res_e_same');
    expect(paid.map((p) => ({ restaurant_id: p.restaurant_id, amount: p.amount }))).toEqual(eligible.items);
    expect((await payoutEligibilityReport(suite.ctx, { currency: 'PEN', as_of: '2026-01-05', min_amount: 5000 })).items).toEqual([]);
  });
});
