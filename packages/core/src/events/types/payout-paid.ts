import { payoutOutcomeEventType } from '../payout-outcome.ts';

/** The processor paid a payout: it moves to paid; no entry (the payout entry was written by the run). */
export const payoutPaid = payoutOutcomeEventType('payout_paid', 'paid');
