import { z } from 'zod';
import { DAY_MS } from '../clock.ts';
import { type CursorFilters, keysetPage } from '../cursor.ts';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { restaurantIdSchema } from '../shared-schemas.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { availableBalances, integrityViolations, payoutEligibility, restaurantsInDeficit, topRestaurantsByRevenue } from './reports.repository.ts';
import {
  type BalancesReport,
  type BalancesReportInput,
  type DeficitsReport,
  type DeficitsReportInput,
  type IntegrityReport,
  type PayoutEligibility,
  type PayoutEligibilityInput,
  type TopRestaurants,
  type TopRestaurantsInput,
} from './report.schema.ts';
import { TOP_RESTAURANTS_LIMIT } from '../limits.ts';


/**
 * Q1: available balance per restaurant for a currency (now, or as of a past moment), paged.
 * @throws LedgerError CURSOR_INVALID
 */
export async function balancesReport(ctx: LedgerContext, input: BalancesReportInput): Promise<BalancesReport> {
  const filters = { currency: input.currency, as_of: input.as_of?.toISOString() ?? null };
  const asOf = input.as_of ?? ctx.clock();
  const { rows, next_cursor } = await pageByRestaurant({ kind: 'balances_report', filters, ...input }, (after) =>
    availableBalances(ctx.db, input.currency, asOf, after, input.limit),
  );
  return {
    currency: input.currency,
    as_of: asOf.toISOString(),
    items: rows.map((row) => ({
      restaurant_id: row.restaurant_id,
      available: int8ToSafeInteger(row.available),
      last_event_at: row.last_event_at?.toISOString() ?? null,
    })),
    next_cursor,
  };
}

const restaurantPositionSchema = z.strictObject({ restaurant_id: restaurantIdSchema });

/** A report page keyed by restaurant id (Q1, Q5): `fetch` gets the id to start after, if any. */
function pageByRestaurant<Row extends { restaurant_id: string }>(
  page: { kind: 'balances_report' | 'deficits_report'; filters: CursorFilters; cursor?: string | undefined; limit: number },
  fetch: (afterRestaurantId: string | undefined) => Promise<Row[]>,
): Promise<{ rows: Row[]; next_cursor: string | null }> {
  return keysetPage(
    { kind: page.kind, filters: page.filters, cursor: page.cursor, limit: page.limit },
    restaurantPositionSchema,
    (after) => fetch(after?.restaurant_id),
    (row) => ({ restaurant_id: row.restaurant_id }),
  );
}

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

/**
 * Q5: restaurants whose available balance is below zero now, what they owe and since when, paged by id.
 * @throws LedgerError CURSOR_INVALID
 */
export async function deficitsReport(ctx: LedgerContext, input: DeficitsReportInput): Promise<DeficitsReport> {
  const asOf = ctx.clock();
  const { rows, next_cursor } = await pageByRestaurant({ kind: 'deficits_report', filters: { currency: input.currency }, ...input }, (after) =>
    restaurantsInDeficit(ctx.db, input.currency, asOf, after, input.limit),
  );
  return {
    currency: input.currency,
    as_of: asOf.toISOString(),
    items: rows.map((row) => ({
      restaurant_id: row.restaurant_id,
      currency: input.currency,
      deficit: int8ToSafeInteger(row.deficit),
      since: row.since.toISOString(),
      age_days: Math.floor((asOf.getTime() - row.since.getTime()) / DAY_MS),
    })),
    next_cursor,
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
