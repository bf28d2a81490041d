import { disputeClosedEventType } from '../dispute-event-type.ts';

/** The restaurant won the dispute: the hold is released; the dispute fee stays taken. */
export const disputeWon = disputeClosedEventType('dispute_won', 'won');
