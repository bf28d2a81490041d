import { decodeCursor, encodeCursor } from '../cursor.ts';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { idPositionSchema, parsePayoutId } from './payout-id.ts';
import { findPayout, findPayoutDeficits, findPayoutItems, findPayoutPage, markPayoutProcessing, type PayoutRow } from './payout.repository.ts';
import type { ListPayoutsInput, Payout, PayoutPage } from './payout.schema.ts';

function payoutNotFound(payoutId: string): LedgerError {
  return new LedgerError('PAYOUT_NOT_FOUND', `payout ${payoutId} not found`, { payout_id: payoutId });
}

/** @throws LedgerError PAYOUT_NOT_FOUND (also for a malformed id) */
export async function getPayout(ctx: LedgerContext, payoutId: string): Promise<Payout> {
  const id = parsePayoutId(payoutId);
  const row = id === undefined ? undefined : await findPayout(ctx.db, id);
  if (row === undefined) throw payoutNotFound(payoutId);
  const [payout] = await withItems(ctx, [row]);
  return payout as Payout;
}

/**
 * Payouts in id order, filtered, one keyset page at a time.
 * @throws LedgerError CURSOR_INVALID
 */
export async function listPayouts(ctx: LedgerContext, input: ListPayoutsInput): Promise<PayoutPage> {
  const filters = { run_id: input.run_id ?? null, restaurant_id: input.restaurant_id ?? null, currency: input.currency ?? null, status: input.status ?? null };
  const afterId = input.cursor === undefined ? undefined : decodeCursor('payouts', input.cursor, filters, idPositionSchema).id;
  const rows = await findPayoutPage(ctx.db, { ...input, afterId }, input.limit);
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    items: await withItems(ctx, page),
    next_cursor: rows.length > input.limit && last !== undefined ? encodeCursor('payouts', filters, { id: int8ToId(last.id) }) : null,
  };
}

/**
 * The settlement side takes a payout in hand: created → processing. Marking a payout already
 * processing again changes nothing and answers it as it is.
 * @throws LedgerError PAYOUT_NOT_FOUND, PAYOUT_STATUS_CONFLICT (already paid or failed)
 */
export async function markProcessing(ctx: LedgerContext, payoutId: string): Promise<Payout> {
  const id = parsePayoutId(payoutId);
  if (id === undefined) throw payoutNotFound(payoutId);
  const moved = await markPayoutProcessing(ctx.db, id);
  const payout = await getPayout(ctx, payoutId);
  if (moved === undefined && payout.status !== 'processing') {
    throw new LedgerError('PAYOUT_STATUS_CONFLICT', `payout ${payoutId} is already ${payout.status}`, {
      payout_id: payoutId,
      status: payout.status,
    });
  }
  return payout;
}


async function withItems(ctx: LedgerContext, rows: readonly PayoutRow[]): Promise<Payout[]> {
  const ids = rows.map((row) => int8ToId(row.id));
  const items = await findPayoutItems(ctx.db, ids);
  const deficits = new Map((await findPayoutDeficits(ctx.db, ids)).map((row) => [int8ToId(row.payout_id), int8ToSafeInteger(row.deficit_recovered)]));
  return rows.map((row) => {
    const id = int8ToId(row.id);
    return {
      payout_id: id,
      run_id: int8ToId(row.run_id),
      restaurant_id: row.restaurant_id,
      currency: row.currency,
      amount: int8ToSafeInteger(row.amount_minor),
      status: row.status as Payout['status'],
      as_of: row.as_of,
      created_at: row.created_at.toISOString(),
      paid_at: row.paid_at?.toISOString() ?? null,
      items: items
        .filter((item) => int8ToId(item.payout_id) === id)
        .map((item) => ({ type: item.entry_type as Payout['items'][number]['type'], amount: int8ToSafeInteger(item.amount_minor) })),
      deficit_recovered: deficits.get(id) ?? 0,
    };
  });
}
