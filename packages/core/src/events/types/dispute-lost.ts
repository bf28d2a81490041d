import { disputeClosedEventType } from '../dispute-event-type.ts';

/** The restaurant lost the dispute: the hold is released and a chargeback of the same amount makes the loss final. */
export const disputeLost = disputeClosedEventType('dispute_lost', 'lost');
