import { LedgerError } from '../../errors.ts';
import { FEE_ENTRY, SALE_ENTRY } from '../../ledger/entry-types.ts';
import { entriesEventType, type EventTypeDefinition, feeEntry } from '../event-type.ts';

/** A sale: +amount and -fee, both maturing after the restaurant's maturity window. */
export const chargeSucceeded: EventTypeDefinition<'charge_succeeded'> = entriesEventType({
  event_type: 'charge_succeeded',
  entries: [SALE_ENTRY, FEE_ENTRY],
  integrity: { kind: 'entries_sum', amount: 1, fee: -1 },
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
  ],
});
