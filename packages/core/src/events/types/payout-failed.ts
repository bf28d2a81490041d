import { payoutOutcomeEventType } from '../payout-outcome.ts';

/** The payout failed: it moves to failed, and a payout_reversal of +amount, available at once, gives the funds back. */
export const payoutFailed = payoutOutcomeEventType('payout_failed', 'failed');
