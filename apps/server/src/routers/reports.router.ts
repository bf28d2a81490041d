import {
  balancesReport,
  balancesReportInputSchema,
  balancesReportSchema,
  deficitsReport,
  deficitsReportInputSchema,
  deficitsReportSchema,
  integrityReport,
  integrityReportSchema,
  payoutEligibilityInputSchema,
  payoutEligibilityReport,
  payoutEligibilitySchema,
  topRestaurants,
  topRestaurantsInputSchema,
  topRestaurantsSchema,
} from '@restaurant-ledger/core';
import { z } from 'zod';
import { authedProcedure, router } from '../trpc.ts';

export const reportsRouter = router({
  balances: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/reports/balances',
        tags: ['reports'],
        summary: 'Q1: available balance per restaurant for a currency, with last_event_at (paged by restaurant id)',
        description:
          'Restaurants in id order, as of now or as of a past moment. Pass next_cursor back as cursor, with the same ' +
          'currency and as_of, for the next page; any other cursor is 422 CURSOR_INVALID.',
      },
      errorCodes: ['CURSOR_INVALID'],
    })
    .input(balancesReportInputSchema)
    .output(balancesReportSchema)
    .query(({ ctx, input }) => balancesReport(ctx, input)),

  topRestaurants: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/reports/top-restaurants',
        tags: ['reports'],
        summary: 'Q2: top 10 restaurants by net revenue (sales - fees - refunds) over the last N days, ranked',
        description: 'Counts events that occurred in the last `days` days (default 30), with their charge and refund counts.',
      },
    })
    .input(topRestaurantsInputSchema)
    .output(topRestaurantsSchema)
    .query(({ ctx, input }) => topRestaurants(ctx, input)),

  payoutEligibility: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/reports/payout-eligibility',
        tags: ['reports'],
        summary: 'Q3: who a payout run for (currency, as_of, min_amount) would pay now, and how much',
        description:
          'Same cutoff and rules as POST /v1/payouts/run, without paying: restaurants already paid for as_of or with an ' +
          'open payout are left out.',
      },
    })
    .input(payoutEligibilityInputSchema)
    .output(payoutEligibilitySchema)
    .query(({ ctx, input }) => payoutEligibilityReport(ctx, input)),

  deficits: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/reports/deficits',
        tags: ['reports'],
        summary: 'Restaurants in deficit: available balance below zero now, what each owes and since when',
        description:
          'deficit is minus the available balance (> 0); since is when the available balance last went below zero; ' +
          'age_days the whole days since then. No payout is made while a restaurant is in deficit; its next earnings ' +
          'pay the deficit back first. Paged by restaurant id like Q1.',
      },
      errorCodes: ['CURSOR_INVALID'],
    })
    .input(deficitsReportInputSchema)
    .output(deficitsReportSchema)
    .query(({ ctx, input }) => deficitsReport(ctx, input)),

  integrity: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/reports/integrity',
        tags: ['reports'],
        summary: 'Q4: integrity checks; each offending row with a reason code, none on a healthy ledger',
        description:
          'Events without their entries, entries without a source, wrong signs, payouts whose items or entries do not add up, ' +
          'unmatched payout events, disputes naming a charge the ledger does not know, disputes whose row disagrees with their events.',
      },
    })
    .input(z.strictObject({}))
    .output(integrityReportSchema)
    .query(({ ctx }) => integrityReport(ctx)),
});
