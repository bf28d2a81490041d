import { z } from 'zod';
import { keysetPage } from '../cursor.ts';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { type DisputeViewRow, findDispute, findDisputePage } from './dispute.repository.ts';
import type { Dispute, DisputePage, DisputeStatus, ListDisputesInput } from './dispute.schema.ts';

/** @throws LedgerError DISPUTE_NOT_FOUND */
export async function getDispute(ctx: LedgerContext, disputeId: string): Promise<Dispute> {
  const row = await findDispute(ctx.db, disputeId);
  if (row === undefined) throw new LedgerError('DISPUTE_NOT_FOUND', `dispute ${disputeId} not found`, { dispute_id: disputeId });
  return toDispute(row);
}

/**
 * Disputes in the order the ledger recorded them, filtered, one keyset page at a time.
 * @throws LedgerError CURSOR_INVALID
 */
export async function listDisputes(ctx: LedgerContext, input: ListDisputesInput): Promise<DisputePage> {
  const filters = { restaurant_id: input.restaurant_id ?? null, currency: input.currency ?? null, status: input.status ?? null };
  const { rows, next_cursor } = await keysetPage(
    { kind: 'disputes', filters, cursor: input.cursor, limit: input.limit },
    disputePositionSchema,
    (after) => findDisputePage(ctx.db, { ...input, afterId: after?.id }, input.limit),
    (row) => ({ id: int8ToId(row.id) }),
  );
  return { items: rows.map(toDispute), next_cursor };
}

const disputePositionSchema = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,18}$/) });

function toDispute(row: DisputeViewRow): Dispute {
  const events: Dispute['events'] = [
    { event_id: row.opened_event_id, event_type: 'dispute_opened', occurred_at: row.opened_occurred_at.toISOString() },
  ];
  if (row.closed_event_id !== null && row.closed_occurred_at !== null) {
    const closedType = row.closed_event_type === 'dispute_won' ? 'dispute_won' : 'dispute_lost';
    events.push({ event_id: row.closed_event_id, event_type: closedType, occurred_at: row.closed_occurred_at.toISOString() });
  }
  return {
    dispute_id: row.dispute_id,
    restaurant_id: row.restaurant_id,
    currency: row.currency,
    amount: int8ToSafeInteger(row.amount_minor),
    fee: int8ToSafeInteger(row.fee_minor),
    status: row.status as DisputeStatus,
    charge_found: row.charge_found,
    charge: { event_id: row.charge_event_id, payment_id: row.payment_id, charge_found: row.charge_found },
    opened_at: row.opened_at.toISOString(),
    closed_at: row.closed_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    events,
  };
}
