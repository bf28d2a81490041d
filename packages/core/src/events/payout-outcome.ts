import { LedgerError } from '../errors.ts';
import { insertPayoutReversal } from '../ledger/ledger-entry.repository.ts';
import { findPayoutForUpdate, setPayoutStatus } from '../payouts/payout.repository.ts';
import { parsePayoutId } from '../payouts/payout-id.ts';
import type { PayoutEffect, ProcessorEventInput } from './event.schema.ts';
import { PAYOUT_REVERSAL_ENTRY } from '../ledger/entry-types.ts';
import type { EventTypeDefinition } from './event-type.ts';

function validatePayoutEvent(event: ProcessorEventInput): void {
  if (event.fee !== 0) {
    throw new LedgerError('EVENT_INVALID_FEE', 'payout events carry no fee', { field: 'fee', fee: event.fee });
  }
}

/**
 * payout_paid / payout_failed. The event is always stored (the processor said it); it changes the
 * payout named by metadata.payout_id only when that payout exists, matches the event's restaurant,
 * currency and amount, and is still open. Otherwise it changes nothing and says why.
 *
 * paid_at is the event's occurred_at, as the processor said it (DOMAIN §2, §4), even when that is
 * before the payout's creation (a run for a past as_of creates its payout now, and the processor
 * dates the payment by its own day): reconciliation matches paid dates against it. A reversal
 * cannot precede its payout in the balance, though: a payout_failed dated before the payout's
 * creation writes its payout_reversal at the creation, so that a balance as of a moment before the
 * payout never counts the reversal next to the money the payout has not yet taken.
 */
export function payoutOutcomeEventType<const T extends string>(eventType: T, outcome: 'paid' | 'failed'): EventTypeDefinition<T> {
  return {
    event_type: eventType,
    entries: outcome === 'failed' ? [PAYOUT_REVERSAL_ENTRY] : [],
    payouts: 'settles',
    integrity: { kind: 'names_payout', contradicted_by: outcome === 'paid' ? 'failed' : 'paid' },
    validate: validatePayoutEvent,
    async apply(trx, { eventPk, event }) {
      const rawId = event.metadata.payout_id;
      const payoutId = typeof rawId === 'string' ? parsePayoutId(rawId) : undefined;
      const payout = payoutId === undefined ? undefined : await findPayoutForUpdate(trx, payoutId);
      const effect = (result: PayoutEffect['result']): PayoutEffect => ({
        payout_id: typeof rawId === 'string' ? rawId : null,
        result,
      });
      if (payout === undefined) return { entries: [], payout: effect('unknown_payout') };
      if (payout.restaurant_id !== event.restaurant_id || payout.currency !== event.currency || payout.amount !== event.amount) {
        return { entries: [], payout: effect('mismatch') };
      }
      if (payout.status !== 'created' && payout.status !== 'processing') {
        return { entries: [], payout: effect('already_final') };
      }
      const effectiveAt = new Date(Math.max(Date.parse(event.occurred_at), payout.created_at.getTime())).toISOString();
      await setPayoutStatus(trx, payout.id, outcome, outcome === 'paid' ? event.occurred_at : null);
      const entries =
        outcome === 'failed'
          ? [await insertPayoutReversal(trx, { eventPk, payoutId: payout.id, event: { ...event, occurred_at: effectiveAt } })]
          : [];
      return { entries, payout: effect('applied') };
    },
  };
}
