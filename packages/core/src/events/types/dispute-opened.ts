import { disputeOpenedEventType } from '../dispute-event-type.ts';

/** The processor opened a dispute on a charge: the amount is held (and its fee taken) at once. */
export const disputeOpened = disputeOpenedEventType();
