import { chargeSucceeded } from './charge-succeeded.ts';
import { disputeLost } from './dispute-lost.ts';
import { disputeOpened } from './dispute-opened.ts';
import { disputeWon } from './dispute-won.ts';
import { payoutFailed } from './payout-failed.ts';
import { payoutPaid } from './payout-paid.ts';
import { refundSucceeded } from './refund-succeeded.ts';

/**
 * The event types this ledger applies, one module each. A new event type is a new file here and
 * one line in this list (and one migration line: docs/adr/0003-event-type-registry.md); every list
 * of types (the schema's enum, the entry types, metrics, Q4's rules) derives from it.
 */
export const BUILT_IN_EVENT_TYPES = [
  chargeSucceeded,
  refundSucceeded,
  payoutPaid,
  payoutFailed,
  disputeOpened,
  disputeWon,
  disputeLost,
] as const;
