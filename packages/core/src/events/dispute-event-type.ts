import { applyDisputeClosed, applyDisputeOpened, disputeMetadataOf } from '../disputes/dispute-lifecycle.ts';
import { LedgerError } from '../errors.ts';
import { CHARGEBACK_ENTRY, DISPUTE_FEE_ENTRY, DISPUTE_HOLD_ENTRY, DISPUTE_RELEASE_ENTRY } from '../ledger/entry-types.ts';
import type { EventTypeDefinition } from './event-type.ts';

/**
 * dispute_opened: dispute_hold -amount and dispute_fee -fee, available at once. It reads and locks
 * state (the charge, its other disputes), so it has no `plan`: it goes through the transactional
 * path, where a refused lifecycle writes nothing, not even the event.
 */
export function disputeOpenedEventType(): EventTypeDefinition<'dispute_opened'> {
  return {
    event_type: 'dispute_opened',
    entries: [DISPUTE_HOLD_ENTRY, DISPUTE_FEE_ENTRY],
    payouts: 'none',
    integrity: { kind: 'entries_sum', amount: -1, fee: -1 },
    validate: (event) => void disputeMetadataOf(event),
    apply: applyDisputeOpened,
  };
}

/**
 * dispute_won (dispute_release +amount; the fee is not returned) and dispute_lost (dispute_release
 * +amount and chargeback -amount: the loss is final). Neither carries a fee.
 */
export function disputeClosedEventType<const T extends 'dispute_won' | 'dispute_lost'>(eventType: T, outcome: 'won' | 'lost'): EventTypeDefinition<T> {
  return {
    event_type: eventType,
    entries: outcome === 'won' ? [DISPUTE_RELEASE_ENTRY] : [DISPUTE_RELEASE_ENTRY, CHARGEBACK_ENTRY],
    payouts: 'none',
    integrity: { kind: 'entries_sum', amount: outcome === 'won' ? 1 : 0, fee: 0 },
    validate(event) {
      disputeMetadataOf(event);
      if (event.fee !== 0) {
        throw new LedgerError('EVENT_INVALID_FEE', `${eventType} carries no fee: a dispute's fee comes with dispute_opened`, { field: 'fee', fee: event.fee });
      }
    },
    apply: (trx, recorded) => applyDisputeClosed(trx, recorded, outcome),
  };
}
