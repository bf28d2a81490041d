import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { restaurantIdSchema } from '../shared-schemas.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { availableBalances, integrityViolations, payoutEligibility, topRestaurantsByRevenue } from './reports.repository.ts';
import {
  type BalancesReport,
  type BalancesReportInput,
  type IntegrityReport,
  type PayoutEligibility,
  type PayoutEligibilityInput,
  type TopRestaurants,
  type TopRestaurantsInput,
} from './report.schema.ts';
import { TOP_RESTAURANTS_LIMIT } from '../limits.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Q1: available balance per restaurant for a currency (now, or as of a past moment), paged.
 * @throws LedgerError CURSOR_INVALID
 */
export async function balancesReport(ctx: LedgerContext, input: BalancesReportInput): Promise<BalancesReport> {
  const filters = { currency: input.currency, as_of: input.as_of?.toISOString() ?? null };
  const after = input.cursor === undefined ? undefined : decodeCursor('balances_report', input.cursor, filters, balancesPositionSchema);
  const asOf = input.as_of ?? ctx.clock();
  const rows = await availableBalances(ctx.db, input.currency, asOf, after?.restaurant_id, input.limit);
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    currency: input.currency,
    as_of: asOf.toISOString(),
    items: page.map((row) => ({
      restaurant_id: row.restaurant_id,
      available: int8ToSafeInteger(row.available),
      last_event_at: row.last_event_at?.toISOString() ?? null,
    })),
    next_cursor: rows.length > input.limit && last !== undefined ? encodeCursor('balances_report', filters, { restaurant_id: last.restaurant_id }) : null,
  };
}

const balancesPositionSchema = z.strictObject({ restaurant_id: restaurantIdSchema });

/** Q2: the top 10 restaurants by net revenue over the last `days` days. */
export async function topRestaurants(ctx: LedgerContext, input: TopRestaurantsInput): Promise<TopRestaurants> {
  const to = ctx.clock();
  const from = new Date(to.getTime() - input.days * DAY_MS);
  const rows = await topRestaurantsByRevenue(ctx.db, input.currency, from, to, TOP_RESTAURANTS_LIMIT);
  return {
    currency: input.currency,
    from: from.toISOString(),
    to: to.toISOString(),
    items: rows.map((row) => ({ ...row, net_revenue: int8ToSafeInteger(row.net_revenue) })),
  };
}

/** Q3: who a payout run would pay now for (currency, as_of, min_amount), with the same cutoff rule. */
export async function payoutEligibilityReport(ctx: LedgerContext, input: PayoutEligibilityInput): Promise<PayoutEligibility> {
  const endOfDay = new Date(`${input.as_of}T23:59:59.999Z`);
  const now = ctx.clock();
  const cutoff = endOfDay < now ? endOfDay : now;
  const rows = await payoutEligibility(ctx.db, input.currency, input.as_of, cutoff, input.min_amount);
  return {
    currency: input.currency,
    as_of: input.as_of,
    cutoff: cutoff.toISOString(),
    items: rows.map((row) => ({ restaurant_id: row.restaurant_id, amount: int8ToSafeInteger(row.amount) })),
  };
}

/** Q4: every integrity check's offending rows, each with a reason code; none on a healthy ledger. */
export async function integrityReport(ctx: LedgerContext): Promise<IntegrityReport> {
  const rows = await integrityViolations(ctx.db, ctx.eventRegistry);
  return {
    healthy: rows.length === 0,
    items: rows.map((row) => ({
      reason: row.reason as IntegrityReport['items'][number]['reason'],
      event_id: row.event_id,
      entry_id: row.entry_id === null ? null : int8ToId(row.entry_id),
      payout_id: row.payout_id === null ? null : int8ToId(row.payout_id),
      detail: row.detail,
    })),
  };
}
