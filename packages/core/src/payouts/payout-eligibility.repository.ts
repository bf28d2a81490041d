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

/**
 * The restaurants the rule is applied to: every restaurant (Q3), or the ids a subquery returns (a
 * run's batch).
 */
export type RestaurantScope = 'every_restaurant' | { idsFrom: RawBuilder<unknown> };

/** One restaurant's decision: the amount it is owed and why it is not paid (null: it is paid). */
export interface PayoutDecisionRow {
  restaurant_id: string;
  amount: Int8Value;
  skip_reason: PayoutSkipReason | null;
}

/**
 * A decision with what a payout made from it records: the (restaurant, currency)'s latest frontier,
 * which the payout follows, and how far its own frontier reaches by entry id.
 */
export interface PayoutFrontierDecisionRow extends PayoutDecisionRow {
  prior_payout_id: Int8Value | null;
  prior_through_entry_id: Int8Value;
  prior_cutoff: Date;
  settled_through_entry_id: Int8Value;
}

/** Figures beyond this JSON cannot carry exactly; such an amount is not paid. */
const FIGURE_MAX = sql.lit(AMOUNT_MINOR_MAX);
/** No bound on entry ids: Q3 counts every entry it sees. */
const NO_WATERMARK = sql.lit('9223372036854775807');

/**
 * The entries payout `payout` (a row of payouts in the enclosing query) settles: inside its frontier
 * (id <= settled_through_entry_id, available_at <= cutoff; available_at >= occurred_at, so they also
 * occurred by then) and outside the prior one, payout entries left out (each belongs to its own
 * payout, by ledger_entries.payout_id). Two index range scans as large as what was settled, not as
 * the history: entries recorded after the prior frontier (by id), and older ones that matured after
 * its cutoff (by available_at). `columns` are read from `le`.
 */
export function entriesSettledBy(payout: string, columns: RawBuilder<unknown>): RawBuilder<unknown> {
  const p = (column: string) => sql.ref(`${payout}.${column}`);
  return sql`
    SELECT ${columns} FROM ledger_entries le
    WHERE le.restaurant_id = ${p('restaurant_id')} AND le.currency = ${p('currency')} AND le.entry_type <> 'payout'
      AND le.id > ${p('prior_through_entry_id')} AND le.id <= ${p('settled_through_entry_id')} AND le.available_at <= ${p('cutoff')}
    UNION ALL
    SELECT ${columns} FROM ledger_entries le
    WHERE le.restaurant_id = ${p('restaurant_id')} AND le.currency = ${p('currency')} AND le.entry_type <> 'payout'
      AND ${p('prior_through_entry_id')} > 0 AND le.id <= ${p('prior_through_entry_id')} AND le.available_at > ${p('prior_cutoff')} AND le.available_at <= ${p('cutoff')}`;
}

/**
 * The sum and gross of entriesBetweenFrontiers for r.id, read from the indexes alone: the same two
 * ranges over every entry type, less the payout entries inside them (a partial index of one row per
 * payout), because the ranges' indexes do not hold the entry type.
 */
function unsettledSums(currency: string, fr: { priorThrough: RawBuilder<unknown>; priorCutoff: RawBuilder<unknown>; through: RawBuilder<unknown> }, cutoff: Date) {
  return sql`
    SELECT SUM(x.amount) AS amount, SUM(x.gross) AS gross FROM (
      SELECT le.amount_minor AS amount, ABS(le.amount_minor) AS gross FROM ledger_entries le
      WHERE le.restaurant_id = r.id AND le.currency = ${currency}
        AND le.id > ${fr.priorThrough} AND le.id <= ${fr.through} AND le.available_at <= ${cutoff}::timestamptz
      UNION ALL
      SELECT le.amount_minor, ABS(le.amount_minor) FROM ledger_entries le
      WHERE le.restaurant_id = r.id AND le.currency = ${currency}
        AND ${fr.priorThrough} > 0 AND le.id <= ${fr.priorThrough}
        AND le.available_at > ${fr.priorCutoff} AND le.available_at <= ${cutoff}::timestamptz
      UNION ALL
      SELECT -le.amount_minor, -ABS(le.amount_minor) FROM ledger_entries le
      WHERE le.restaurant_id = r.id AND le.currency = ${currency} AND le.entry_type = 'payout'
        AND le.id <= ${fr.through} AND le.available_at <= ${cutoff}::timestamptz
        AND NOT (le.id <= ${fr.priorThrough} AND le.available_at <= ${fr.priorCutoff})
    ) AS x`;
}

const reason = (value: PayoutSkipReason) => sql.lit(value);

/**
 * The payout eligibility rule, the only copy: per restaurant in scope, the amount a payout would pay
 * and the first reason, in this order, not to pay it. Payout runs decide each batch with it and the
 * Q3 report keeps the rows without a reason, so the two cannot disagree.
 *
 * The amount is the sum of the entries between the (restaurant, currency)'s latest settlement
 * frontier (its last payout's; none: nothing settled) and the frontier a payout now would have: the
 * run's cutoff and, for a run, its watermark (every entry id up to it is committed and visible, see
 * ledgerWatermark), never below the latest frontier's. Q3 passes no watermark and counts every entry
 * it sees. Payouts that block a new one: the same as_of (any status); a later cutoff (any status:
 * its frontier already reaches past this cutoff); an open one. Entry types have one sign each, so
 * SUM(ABS) is the sum of the items' absolute values, which must stay within 2^53-1. The amount must
 * reach both the run's min_amount and the restaurant's payout_minimum for the currency (a currency
 * it does not list: 0). A subquery: callers order and filter.
 */
export function payoutDecisions(scope: RestaurantScope, terms: PayoutTerms, watermark?: RawBuilder<unknown>): RawBuilder<PayoutFrontierDecisionRow> {
  const fr = { priorThrough: sql`fr.prior_through_entry_id`, priorCutoff: sql`fr.prior_cutoff`, through: sql`fr.settled_through_entry_id` };
  return sql<PayoutFrontierDecisionRow>`
    SELECT r.id AS restaurant_id, COALESCE(u.amount, 0) AS amount,
      CASE
        WHEN b.same_as_of THEN ${reason('already_paid_for_as_of')}
        WHEN b.later_cutoff THEN ${reason('later_payout_exists')}
        WHEN b.open THEN ${reason('open_payout')}
        WHEN u.amount IS NULL OR u.amount <= 0 THEN ${reason('not_positive')}
        WHEN u.gross > ${FIGURE_MAX} THEN ${reason('amount_out_of_range')}
        WHEN u.amount < ${terms.min_amount} THEN ${reason('below_min_amount')}
        WHEN u.amount < COALESCE((r.payout_minimum ->> ${terms.currency})::bigint, 0) THEN ${reason('below_payout_minimum')}
      END AS skip_reason,
      fr.prior_payout_id, fr.prior_through_entry_id, fr.prior_cutoff, fr.settled_through_entry_id
    FROM restaurants r
    LEFT JOIN LATERAL (
      SELECT p.id, p.settled_through_entry_id, p.cutoff FROM payouts p
      WHERE p.restaurant_id = r.id AND p.currency = ${terms.currency}
      ORDER BY p.settled_through_entry_id DESC, p.cutoff DESC, p.id DESC
      LIMIT 1
    ) latest ON TRUE
    CROSS JOIN LATERAL (
      SELECT latest.id AS prior_payout_id,
        COALESCE(latest.settled_through_entry_id, 0) AS prior_through_entry_id,
        COALESCE(latest.cutoff, '-infinity'::timestamptz) AS prior_cutoff,
        GREATEST(${watermark ?? NO_WATERMARK}::bigint, COALESCE(latest.settled_through_entry_id, 0)) AS settled_through_entry_id
    ) fr
    CROSS JOIN LATERAL (${unsettledSums(terms.currency, fr, terms.cutoff)}) u
    CROSS JOIN LATERAL (
      SELECT bool_or(p.as_of = ${terms.as_of}::date) AS same_as_of, bool_or(p.cutoff > ${terms.cutoff}::timestamptz) AS later_cutoff,
        bool_or(p.status IN ('created', 'processing')) AS open
      FROM payouts p
      WHERE p.restaurant_id = r.id AND p.currency = ${terms.currency}
        AND (p.as_of = ${terms.as_of}::date OR p.cutoff > ${terms.cutoff}::timestamptz OR p.status IN ('created', 'processing'))
    ) b
    WHERE ${scope === 'every_restaurant' ? sql`TRUE` : sql`r.id IN (${scope.idsFrom})`}`;
}
