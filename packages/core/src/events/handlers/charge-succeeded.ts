import { LedgerError } from '../../errors.ts';
import { entriesHandler, feeEntry } from './event-handler.ts';

/** A sale: +amount and -fee, both maturing after the restaurant's maturity window. */
export const chargeSucceeded = entriesHandler({
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
