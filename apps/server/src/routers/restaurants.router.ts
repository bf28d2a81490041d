import {
  balanceQuerySchema,
  balanceSchema,
  createRestaurant,
  createRestaurantInputSchema,
  getBalance,
  getRestaurant,
  getStatement,
  restaurantIdInputSchema,
  restaurantSchema,
  statementQuerySchema,
  statementSchema,
  updateRestaurant,
  updateRestaurantInputSchema,
} from '@restaurant-ledger/core';
import { authedProcedure, router } from '../trpc.ts';

export const restaurantsRouter = router({
  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/restaurants/{restaurant_id}',
        tags: ['restaurants'],
        summary: 'Get a restaurant',
        description:
          'Its name, maturity window and settlement settings (reserve, payout schedule, payout minimums). A restaurant ' +
          'exists from its first processor event, or from POST /v1/restaurants.',
      },
      errorCodes: ['VALIDATION_ERROR', 'RESTAURANT_NOT_FOUND'],
    })
    .input(restaurantIdInputSchema)
    .output(restaurantSchema)
    .query(({ ctx, input }) => getRestaurant(ctx, input.restaurant_id)),

  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/restaurants',
        tags: ['restaurants'],
        summary: 'Register a restaurant ahead of its first event',
        description:
          'Creates the restaurant with an optional name and maturity window (default LEDGER_MATURITY_DAYS). 409 ' +
          'RESTAURANT_ALREADY_EXISTS when the id is taken, whether by this route or by an earlier event.',
      },
      successStatus: 201,
      errorCodes: ['RESTAURANT_ALREADY_EXISTS'],
    })
    .input(createRestaurantInputSchema)
    .output(restaurantSchema)
    .mutation(async ({ ctx, input }) => {
      const restaurant = await createRestaurant(ctx, input);
      ctx.response.status = 201;
      return restaurant;
    }),

  update: authedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/v1/restaurants/{restaurant_id}',
        tags: ['restaurants'],
        summary: 'Change a restaurant name, maturity window or settlement settings',
        description:
          'Give at least one of `name`, `maturity_days`, `reserve_percent`, `reserve_days`, `payout_schedule`, ' +
          '`payout_minimum`; `name: null` clears the name. A new maturity window or reserve applies to charges recorded ' +
          'afterwards; recorded entries never change. `payout_minimum` replaces the whole map. Anything else is 422 ' +
          'VALIDATION_ERROR naming the field. See docs/settlement-settings.md.',
      },
      errorCodes: ['RESTAURANT_NOT_FOUND'],
    })
    .input(updateRestaurantInputSchema)
    .output(restaurantSchema)
    .mutation(({ ctx, input }) => updateRestaurant(ctx, input)),

  statement: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/restaurants/{restaurant_id}/statement',
        tags: ['balances'],
        summary: 'Ledger entries in order with the running balance from the very first entry',
        description:
          'Entries in (occurred_at, entry_id) order, filtered by currency and an optional occurred_at range, ' +
          'with keyset pagination (pass next_cursor back as cursor). `format=csv` or `Accept: text/csv` streams ' +
          'the whole range as CSV instead (limit and cursor do not apply). A cursor is tied to the restaurant, ' +
          'currency, from and to it was issued for; any other is 422 CURSOR_INVALID.',
      },
      errorCodes: ['RESTAURANT_NOT_FOUND', 'CURSOR_INVALID'],
    })
    .input(statementQuerySchema)
    .output(statementSchema)
    .query(({ ctx, input }) => getStatement(ctx, input)),

  balance: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/restaurants/{restaurant_id}/balance',
        tags: ['balances'],
        summary: 'Balance in one currency, now or as of a past moment',
        description:
          'Computed from ledger entries on every call. Entries count when their event occurred at or before ' +
          '`as_of` (default now); of those, `available` sums entries with available_at <= as_of, `reserved` the ' +
          'reserve releases not yet available, and `pending` the rest; total = available + pending + reserved.',
      },
      errorCodes: ['VALIDATION_ERROR', 'RESTAURANT_NOT_FOUND'],
    })
    .input(balanceQuerySchema)
    .output(balanceSchema)
    .query(({ ctx, input }) => getBalance(ctx, input)),
});
