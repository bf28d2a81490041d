import { FEE_ENTRY, REFUND_ENTRY } from '../../ledger/entry-types.ts';
import { entriesEventType, type EventTypeDefinition, feeEntry } from '../event-type.ts';

/**
 * A refund: -amount and -fee, available at once. The charge's fee is not given back: the
 * processor keeps it, so a refund never writes a positive fee entry.
 */
export const refundSucceeded: EventTypeDefinition<'refund_succeeded'> = entriesEventType({
  event_type: 'refund_succeeded',
  entries: [REFUND_ENTRY, FEE_ENTRY],
  integrity: { kind: 'entries_sum', amount: -1, fee: -1 },
  plan: (event) => [{ entry_type: 'refund', amount_minor: -event.amount, available: 'at_once' }, ...feeEntry(event.fee, 'at_once')],
});
