import { entriesHandler, feeEntry } from './event-handler.ts';

/**
 * A refund: -amount and -fee, available at once. The charge's fee is not given back: the
 * processor keeps it, so a refund never writes a positive fee entry.
 */
export const refundSucceeded = entriesHandler({
  plan: (event) => [{ entry_type: 'refund', amount_minor: -event.amount, available: 'at_once' }, ...feeEntry(event.fee, 'at_once')],
});
