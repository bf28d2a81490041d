import { chargeSucceeded } from './charge-succeeded.ts';
import type { EventHandlerMap } from './event-handler.ts';
import { payoutFailed, payoutPaid } from './payout-outcome.ts';
import { refundSucceeded } from './refund-succeeded.ts';

/** event_type → handler. A new event type is a new file and one line here. */
export const EVENT_HANDLERS: EventHandlerMap = {
  charge_succeeded: chargeSucceeded,
  refund_succeeded: refundSucceeded,
  payout_paid: payoutPaid,
  payout_failed: payoutFailed,
};
