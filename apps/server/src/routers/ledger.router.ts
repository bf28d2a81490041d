import { ledgerVerificationSchema, verifyLedgerChain, verifyLedgerInputSchema } from '@restaurant-ledger/core';
import { authedProcedure, router } from '../trpc.ts';

export const ledgerRouter = router({
  verify: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/ledger/verify',
        tags: ['reports'],
        summary: "Tamper evidence: recompute the ledger's hash chain from the rows and name the first broken link",
        description:
          'Every sealed block, in order, hashed again from its entries and checked against its seal and the block before it ' +
          '(docs/tamper-evidence.md). ok is false when a block does not hold; first_broken names it and why: ENTRY_CHANGED, ' +
          'ENTRY_MISSING, ENTRY_INSERTED, SEAL_CHANGED or CHAIN_LINK_BROKEN. Entries recorded since the last block are counted ' +
          'in unsealed_entries; sealing_lag_seconds is how long the oldest of them has waited. from_block and to_block check ' +
          'part of the chain; a from_block not sealed yet is 422 VALIDATION_ERROR. Reads the whole ledger when not bounded.',
      },
      errorCodes: ['VALIDATION_ERROR'],
    })
    .input(verifyLedgerInputSchema)
    .output(ledgerVerificationSchema)
    .query(({ ctx, input }) => verifyLedgerChain(ctx, input)),
});
