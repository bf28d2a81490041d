import { type RawBuilder, sql } from 'kysely';
import type { Int8Value } from '../db/int8.ts';
import { AMOUNT_MINOR_MAX } from '../limits.ts';
import type { PayoutSkipReason } from './payout.schema.ts';

/** What a payout is decided on: its currency and as_of, the run's cutoff and its min_amount. */
export interface PayoutTerms {
  currency: string;
  as_of: string;
  cutoff: Date;
  min_amount: number;
}

/** The restaurants the rule is applied to: a run's batch (by id), or every restaurant (Q3). */
export type RestaurantScope = readonly string[] | 'every_restaurant';

/** One restaurant's decision: the amount it is owed and why it is not paid (null: it is paid). */
export interface PayoutDecisionRow {
  restaurant_id: string;
  amount: Int8Value;
  skip_reason: PayoutSkipReason | null;
}

/** Figures beyond this JSON cannot carry exactly; such an amount is not paid. */
const FIGURE_MAX = sql.lit(AMOUNT_MINOR_MAX);

export const textArray = (values: readonly string[]) => sql`${sql.raw('ARRAY[')}${sql.join(values.map((v) => sql`${v}::text`))}${sql.raw(']')}`;

/** `column` is one of the scope's restaurants; for the whole ledger, no condition at all. */
const inScope = (scope: RestaurantScope, column: 'r.id' | 'le.restaurant_id' | 'p.restaurant_id') =>
  // The ids as a constant array: the planner then reads just these restaurants' rows through the index.
  scope === 'every_restaurant' ? sql`TRUE` : sql`${sql.raw(column)} = ANY(${textArray(scope)})`;

/**
 * The entries a payout at `cutoff` pays: entries that occurred and became available by the cutoff,
 * other than payout entries, that no payout has settled yet (anti-join on payout_settlements).
 */
export const unsettledAtCutoff = (currency: string, cutoff: Date) => sql`
  le.currency = ${currency}
  AND le.entry_type <> 'payout'
  AND le.occurred_at <= ${cutoff}::timestamptz
  AND le.available_at <= ${cutoff}::timestamptz
  AND NOT EXISTS (SELECT 1 FROM payout_settlements s WHERE s.ledger_entry_id = le.id)`;

const reason = (value: PayoutSkipReason) => sql.lit(value);

/**
 * The payout eligibility rule, the only copy: per restaurant in scope, the amount a payout would pay
 * and the first reason, in this order, not to pay it. Payout runs decide each batch with it and the
 * Q3 report keeps the rows without a reason, so the two cannot disagree. Payouts that block a new
 * one: the same as_of (any status); a later cutoff (any status: it settled entries against others
 * still pending at this cutoff, so paying "what was available then" from what is left could exceed
 * the balance at this cutoff); an open one. Entry types have one sign each, so SUM(ABS) is the sum
 * of the items' absolute values, which must stay within 2^53-1. The amount must reach both the run's
 * min_amount and the restaurant's payout_minimum for the currency (a currency it does not list: 0).
 * A subquery: callers order and filter.
 */
export function payoutDecisions(scope: RestaurantScope, terms: PayoutTerms): RawBuilder<PayoutDecisionRow> {
  return sql<PayoutDecisionRow>`
    SELECT r.id AS restaurant_id, COALESCE(u.amount, 0) AS amount,
      CASE
        WHEN b.same_as_of THEN ${reason('already_paid_for_as_of')}
        WHEN b.later_cutoff THEN ${reason('later_payout_exists')}
        WHEN b.restaurant_id IS NOT NULL THEN ${reason('open_payout')}
        WHEN u.amount IS NULL OR u.amount <= 0 THEN ${reason('not_positive')}
        WHEN u.gross > ${FIGURE_MAX} THEN ${reason('amount_out_of_range')}
        WHEN u.amount < ${terms.min_amount} THEN ${reason('below_min_amount')}
        WHEN u.amount < COALESCE((r.payout_minimum ->> ${terms.currency})::bigint, 0) THEN ${reason('below_payout_minimum')}
      END AS skip_reason
    FROM restaurants r
    LEFT JOIN (
      SELECT le.restaurant_id, SUM(le.amount_minor) AS amount, SUM(ABS(le.amount_minor)) AS gross
      FROM ledger_entries le
      WHERE ${inScope(scope, 'le.restaurant_id')} AND ${unsettledAtCutoff(terms.currency, terms.cutoff)}
      GROUP BY le.restaurant_id
    ) u ON u.restaurant_id = r.id
    LEFT JOIN (
      SELECT p.restaurant_id, bool_or(p.as_of = ${terms.as_of}::date) AS same_as_of, bool_or(p.cutoff > ${terms.cutoff}::timestamptz) AS later_cutoff
      FROM payouts p
      WHERE ${inScope(scope, 'p.restaurant_id')} AND p.currency = ${terms.currency}
        AND (p.as_of = ${terms.as_of}::date OR p.cutoff > ${terms.cutoff}::timestamptz OR p.status IN ('created', 'processing'))
      GROUP BY p.restaurant_id
    ) b ON b.restaurant_id = r.id
    WHERE ${inScope(scope, 'r.id')}`;
}
