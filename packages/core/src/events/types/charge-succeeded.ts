import { LedgerError } from '../../errors.ts';
import { FEE_ENTRY, RESERVE_HOLD_ENTRY, RESERVE_RELEASE_ENTRY, SALE_ENTRY } from '../../ledger/entry-types.ts';
import { entriesEventType, type EventTypeDefinition, feeEntry } from '../event-type.ts';

/**
 * A sale: +amount and -fee, both maturing after the restaurant's maturity window. Under a rolling
 * reserve (the restaurant's reserve_percent as its recording statement sees it), also a
 * reserve_hold of -share maturing with the sale and a reserve_release of +share reserve_days later:
 * they net to zero, so the entries still sum to amount - fee.
 */
export const chargeSucceeded: EventTypeDefinition<'charge_succeeded'> = entriesEventType({
  event_type: 'charge_succeeded',
  entries: [SALE_ENTRY, FEE_ENTRY, RESERVE_HOLD_ENTRY, RESERVE_RELEASE_ENTRY],
  integrity: { kind: 'entries_sum', amount: 1, fee: -1, nets_to_zero: ['reserve_hold', 'reserve_release'] },
  validate(event) {
    if (event.fee > event.amount) {
      throw new LedgerError('EVENT_INVALID_FEE', 'fee may not exceed the charge amount', {
        field: 'fee',
        fee: event.fee,
        amount: event.amount,
      });
    }
  },
  plan: (event) => [
    { entry_type: 'sale', amount_minor: event.amount, available: 'after_maturity_window' },
    ...feeEntry(event.fee, 'after_maturity_window'),
    { entry_type: 'reserve_hold', amount_minor: -event.amount, available: 'after_maturity_window', share: 'reserve' },
    { entry_type: 'reserve_release', amount_minor: event.amount, available: 'after_reserve_window', share: 'reserve' },
  ],
});
