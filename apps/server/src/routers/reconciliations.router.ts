import {
  getReconciliation,
  importReconciliation,
  importReconciliationInputSchema,
  importReconciliationResultSchema,
  reconciliationIdInputSchema,
  reconciliationSchema,
  SETTLEMENT_REPORT_HEADER,
} from '@restaurant-ledger/core';
import { authedProcedure, router, createdUnlessReplay } from '../trpc.ts';

export const reconciliationsRouter = router({
  import: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/reconciliations',
        tags: ['reconciliations'],
        summary: "Reconcile a processor's settlement report with the ledger (text/csv)",
        description:
          `The body is the report as \`text/csv\` (UTF-8), header exactly \`${SETTLEMENT_REPORT_HEADER}\`, one row per ` +
          'settled item: type charge, refund, dispute or fee; reference the item\'s event_id or payment_id; amount signed ' +
          "as the ledger signs it; paid_date YYYY-MM-DD. A payout's amount is the sum of its rows. The answer lists " +
          'matched payouts, amount mismatches (both amounts, and the items that differ), payouts the ledger paid within the ' +
          "report's currencies and paid_date range that the report lacks, and report payouts the ledger has not paid. " +
          '201 the first time a file is imported; the same bytes again answer 200 with `idempotent: true` and the same ' +
          'reconciliation. A malformed file is 422 RECONCILIATION_FILE_INVALID naming every bad line (the header is line 1), ' +
          'and nothing is imported. Through the SDK, send `{ csv }`.',
      },
      successStatus: 201,
      requestMediaType: 'text/csv',
      replayDescription: 'This file (the same bytes) was imported before: the stored reconciliation, `idempotent: true`; nothing written',
      errorCodes: ['RECONCILIATION_FILE_INVALID'],
    })
    .input(importReconciliationInputSchema)
    .output(importReconciliationResultSchema)
    .mutation(async ({ ctx, input }) => createdUnlessReplay(ctx, await importReconciliation(ctx, input.csv))),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/reconciliations/{reconciliation_id}',
        tags: ['reconciliations'],
        summary: 'A stored reconciliation',
        description: 'As the import answered it. An unknown or malformed id is 404 RECONCILIATION_NOT_FOUND.',
      },
      errorCodes: ['RECONCILIATION_NOT_FOUND'],
    })
    .input(reconciliationIdInputSchema)
    .output(reconciliationSchema)
    .query(({ ctx, input }) => getReconciliation(ctx, input.reconciliation_id)),
});
