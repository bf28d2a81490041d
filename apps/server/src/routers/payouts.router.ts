import {
  getPayout,
  getPayoutRun,
  listPayoutRuns,
  listPayoutRunsInputSchema,
  listPayouts,
  listPayoutsInputSchema,
  markProcessing,
  payoutIdInputSchema,
  payoutPageSchema,
  payoutRunPageSchema,
  payoutRunSchema,
  payoutSchema,
  requestPayoutRun,
  requestPayoutRunSchema,
  runIdInputSchema,
} from '@restaurant-ledger/core';
import { authedProcedure, router } from '../trpc.ts';

export const payoutsRouter = router({
  run: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/payouts/run',
        tags: ['payouts'],
        summary: 'Start a payout run (202; the work happens in the background)',
        description:
          'For each restaurant with entries in the currency, pays its whole available balance at the cutoff (the end of ' +
          'the as_of day in UTC, or the moment the run starts if earlier) from entries no earlier payout settled. ' +
          'Skips amounts below min_amount, below the restaurant\'s payout_minimum or not positive, restaurants with an ' +
          'open payout, and restaurants already paid for this as_of. Pays every eligible restaurant, whatever its ' +
          'payout_schedule. Runs are durable: a run accepted before a restart finishes after it.',
      },
      successStatus: 202,
    })
    .input(requestPayoutRunSchema)
    .output(payoutRunSchema)
    .mutation(async ({ ctx, input }) => {
      const run = await requestPayoutRun(ctx, input);
      ctx.wakePayoutWorker();
      ctx.response.status = 202;
      return run;
    }),

  getRun: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/payouts/runs/{run_id}',
        tags: ['payouts'],
        summary: 'Status and counts of a payout run',
        description: 'queued, running, completed or failed, with the payouts created and the restaurants skipped by reason.',
      },
      errorCodes: ['PAYOUT_RUN_NOT_FOUND'],
    })
    .input(runIdInputSchema)
    .output(payoutRunSchema)
    .query(({ ctx, input }) => getPayoutRun(ctx, input.run_id)),

  // Before `get`: /v1/payouts/{payout_id} would otherwise take "runs" for a payout id.
  listRuns: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/payouts/runs',
        tags: ['payouts'],
        summary: 'Payout runs, manual and scheduled, filtered, in id order with cursor pagination',
        description:
          'How the scheduler is watched: `trigger=schedule` lists the runs it created, each with its `restaurant_id` and ' +
          '`scheduled_date` (one per restaurant, currency and date). Pass next_cursor back as cursor, with the same ' +
          'filters, for the next page; any other cursor is 422 CURSOR_INVALID.',
      },
      errorCodes: ['VALIDATION_ERROR', 'CURSOR_INVALID'],
    })
    .input(listPayoutRunsInputSchema)
    .output(payoutRunPageSchema)
    .query(({ ctx, input }) => listPayoutRuns(ctx, input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/payouts/{payout_id}',
        tags: ['payouts'],
        summary: 'A payout with its items by entry type',
        description: 'The items always sum to the amount. An unknown or malformed id is 404 PAYOUT_NOT_FOUND.',
      },
      errorCodes: ['PAYOUT_NOT_FOUND'],
    })
    .input(payoutIdInputSchema)
    .output(payoutSchema)
    .query(({ ctx, input }) => getPayout(ctx, input.payout_id)),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/payouts',
        tags: ['payouts'],
        summary: 'Payouts, filtered, in id order with cursor pagination',
        description:
          'Pass next_cursor back as cursor, with the same filters, for the next page; null means this is the last page. ' +
          'A cursor is tied to the run_id, restaurant_id, currency and status it was issued for; any other is 422 CURSOR_INVALID.',
      },
      errorCodes: ['VALIDATION_ERROR', 'CURSOR_INVALID'],
    })
    .input(listPayoutsInputSchema)
    .output(payoutPageSchema)
    .query(({ ctx, input }) => listPayouts(ctx, input)),

  markProcessing: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/payouts/{payout_id}/processing',
        tags: ['payouts'],
        summary: 'The settlement side has taken the payout in hand: created → processing',
        description: 'Idempotent for a payout already processing; 409 PAYOUT_STATUS_CONFLICT once it is paid or failed.',
      },
      errorCodes: ['PAYOUT_NOT_FOUND', 'PAYOUT_STATUS_CONFLICT'],
    })
    .input(payoutIdInputSchema)
    .output(payoutSchema)
    .mutation(({ ctx, input }) => markProcessing(ctx, input.payout_id)),
});
