import type { LedgerTransaction } from '../db/database.ts';
import { int8ToBigInt, int8ToSafeInteger } from '../db/int8.ts';
import { LedgerError } from '../errors.ts';
import type { ProcessorEventInput } from '../events/event.schema.ts';
import type { AppliedEvent, RecordedEvent } from '../events/event-type.ts';
import { type EntryToWrite, insertEventEntries } from '../ledger/ledger-entry.repository.ts';
import { closeDispute, findChargeForUpdate, findDisputeForUpdate, insertDisputeIfNew, sumChargeClaims } from './dispute.repository.ts';
import { type DisputeMetadata, disputeMetadataSchema } from './dispute.schema.ts';

/**
 * The metadata of a dispute event, as its type's `validate` already checked it.
 * @throws LedgerError VALIDATION_ERROR naming `metadata.<field>`
 */
export function disputeMetadataOf(event: ProcessorEventInput): DisputeMetadata {
  const parsed = disputeMetadataSchema.safeParse(event.metadata);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ field: ['metadata', ...issue.path].join('.'), message: issue.message }));
  return throwValidation(issues);
}

function throwValidation(issues: Array<{ field: string; message: string }>): never {
  throw new LedgerError('VALIDATION_ERROR', `Invalid input: ${issues.map((issue) => issue.field).join(', ')}`, { issues });
}

/**
 * dispute_opened: finds and locks the charge it names, refuses an amount above what is left of the
 * charge, records the dispute (open), and writes dispute_hold -amount and dispute_fee -fee, both
 * available at once. A charge the ledger does not know is no reason to refuse: the processor has
 * taken the money, so the dispute is recorded with charge_found false.
 * @throws LedgerError DISPUTE_EXCEEDS_CHARGE, DISPUTE_ALREADY_EXISTS (another event opened this dispute_id)
 */
export async function applyDisputeOpened(trx: LedgerTransaction, { eventPk, event }: RecordedEvent): Promise<AppliedEvent> {
  const metadata = disputeMetadataOf(event);
  const ref = { restaurant_id: event.restaurant_id, currency: event.currency, charge_event_id: metadata.charge_event_id ?? null, payment_id: metadata.payment_id ?? null };
  const charge = ref.charge_event_id === null && ref.payment_id === null ? undefined : await findChargeForUpdate(trx, ref);
  if (charge !== undefined) {
    const claims = await sumChargeClaims(trx, { ...charge, restaurant_id: event.restaurant_id, currency: event.currency });
    const disputable = int8ToBigInt(charge.amount_minor) - int8ToBigInt(claims.refunded) - int8ToBigInt(claims.disputed);
    if (BigInt(event.amount) > disputable) {
      throw new LedgerError('DISPUTE_EXCEEDS_CHARGE', `dispute ${metadata.dispute_id} is for more than is left of charge ${charge.event_id}`, {
        dispute_id: metadata.dispute_id,
        charge_event_id: charge.event_id,
        amount: event.amount,
        charge_amount: int8ToSafeInteger(charge.amount_minor),
        refunded: int8ToSafeInteger(claims.refunded),
        disputed: int8ToSafeInteger(claims.disputed),
        disputable: disputable > 0n ? Number(disputable) : 0,
      });
    }
  }
  const inserted = await insertDisputeIfNew(trx, {
    dispute_id: metadata.dispute_id,
    restaurant_id: event.restaurant_id,
    currency: event.currency,
    amount_minor: event.amount,
    fee_minor: event.fee,
    charge_event_id: ref.charge_event_id,
    payment_id: ref.payment_id,
    charge_pk: charge?.id ?? null,
    opened_event_pk: eventPk,
    opened_at: event.occurred_at,
  });
  if (!inserted) {
    throw new LedgerError('DISPUTE_ALREADY_EXISTS', `dispute ${metadata.dispute_id} was already opened by another event`, { dispute_id: metadata.dispute_id });
  }
  const planned: EntryToWrite[] = [
    { entry_type: 'dispute_hold', amount_minor: -event.amount, matures_after_days: 0 },
    ...(event.fee > 0 ? [{ entry_type: 'dispute_fee' as const, amount_minor: -event.fee, matures_after_days: 0 }] : []),
  ];
  const entries = await insertEventEntries(trx, { eventPk, restaurantId: event.restaurant_id, currency: event.currency, occurredAt: event.occurred_at }, planned);
  return { entries, dispute: { dispute_id: metadata.dispute_id, status: 'open', charge_found: charge !== undefined } };
}

/**
 * dispute_won / dispute_lost: closes the open dispute (locked, so of two closing events racing
 * exactly one wins) and writes dispute_release +amount, and for a loss chargeback -amount. The
 * entries take effect no earlier than the dispute opened, so no balance in time counts the release
 * without the hold.
 * @throws LedgerError DISPUTE_NOT_OPEN, DISPUTE_ALREADY_CLOSED, DISPUTE_MISMATCH
 */
export async function applyDisputeClosed(trx: LedgerTransaction, { eventPk, event }: RecordedEvent, outcome: 'won' | 'lost'): Promise<AppliedEvent> {
  const { dispute_id: disputeId } = disputeMetadataOf(event);
  const dispute = await findDisputeForUpdate(trx, disputeId);
  if (dispute === undefined) {
    throw new LedgerError('DISPUTE_NOT_OPEN', `no dispute ${disputeId} was opened`, { dispute_id: disputeId });
  }
  if (dispute.status !== 'open') {
    throw new LedgerError('DISPUTE_ALREADY_CLOSED', `dispute ${disputeId} is already ${dispute.status}`, { dispute_id: disputeId, status: dispute.status });
  }
  const differing = [
    ...(dispute.restaurant_id !== event.restaurant_id ? ['restaurant_id'] : []),
    ...(dispute.currency !== event.currency ? ['currency'] : []),
    ...(int8ToBigInt(dispute.amount_minor) !== BigInt(event.amount) ? ['amount'] : []),
  ];
  if (differing.length > 0) {
    throw new LedgerError('DISPUTE_MISMATCH', `dispute ${disputeId} was opened with another ${differing.join(', ')}`, {
      dispute_id: disputeId,
      differing_fields: differing,
    });
  }
  const effectiveAt = new Date(Math.max(Date.parse(event.occurred_at), dispute.opened_at.getTime())).toISOString();
  await closeDispute(trx, dispute.id, { status: outcome, closed_event_pk: eventPk, closed_at: effectiveAt });
  const planned: EntryToWrite[] = [
    { entry_type: 'dispute_release', amount_minor: event.amount, matures_after_days: 0 },
    ...(outcome === 'lost' ? [{ entry_type: 'chargeback' as const, amount_minor: -event.amount, matures_after_days: 0 }] : []),
  ];
  const entries = await insertEventEntries(trx, { eventPk, restaurantId: event.restaurant_id, currency: event.currency, occurredAt: effectiveAt }, planned);
  return { entries, dispute: { dispute_id: disputeId, status: outcome, charge_found: dispute.charge_found } };
}
