import { disputeIdInputSchema, disputePageSchema, disputeSchema, getDispute, listDisputes, listDisputesInputSchema } from '@restaurant-ledger/core';
import { authedProcedure, router } from '../trpc.ts';

export const disputesRouter = router({
  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/disputes',
        tags: ['disputes'],
        summary: 'Disputes (chargebacks), filtered, in the order recorded, with cursor pagination',
        description:
          'Each with its amount, fee, status (open, won, lost), the charge it names (charge_found false when the ledger ' +
          'does not know it) and its events so far. Pass next_cursor back as cursor, with the same filters, for the next ' +
          'page; null means this is the last page. Any other cursor is 422 CURSOR_INVALID.',
      },
      errorCodes: ['VALIDATION_ERROR', 'CURSOR_INVALID'],
    })
    .input(listDisputesInputSchema)
    .output(disputePageSchema)
    .query(({ ctx, input }) => listDisputes(ctx, input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/disputes/{dispute_id}',
        tags: ['disputes'],
        summary: "A dispute by the processor's dispute id, with its charge and its events",
        description: 'An unknown dispute_id is 404 DISPUTE_NOT_FOUND.',
      },
      errorCodes: ['DISPUTE_NOT_FOUND'],
    })
    .input(disputeIdInputSchema)
    .output(disputeSchema)
    .query(({ ctx, input }) => getDispute(ctx, input.dispute_id)),
});
