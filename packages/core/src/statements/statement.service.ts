import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { type Int8Value, int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { toEntryView } from '../ledger/entry-view.ts';
import { findRestaurant } from '../restaurants/restaurant.repository.ts';
import { restaurantNotFound } from '../restaurants/restaurant.service.ts';
import { type StatementPosition, type StatementRow, statementOpening, statementPage } from './statement.repository.ts';
import { type Statement, type StatementLine, type StatementQuery } from './statement.schema.ts';
import { CHECKPOINT_AFTER_ENTRIES_DEFAULT, STATEMENT_STREAM_BATCH } from '../limits.ts';

/**
 * One page of a restaurant's statement: entries in (occurred_at, id) order with the running
 * balance from the very first entry, and a cursor for the next page. The opening balance starts
 * from the nearest mark of the latest statement checkpoint (docs/adr/0007-statement-checkpoints.md),
 * so a page costs about the same wherever it lies in the history.
 * @throws LedgerError RESTAURANT_NOT_FOUND, CURSOR_INVALID
 */
export async function getStatement(ctx: LedgerContext, query: StatementQuery): Promise<Statement> {
  const cursor = query.cursor === undefined ? undefined : decodeCursor('statement', query.cursor, cursorFilters(query), statementPositionSchema);
  await assertRestaurant(ctx, query.restaurant_id);
  const after = pageStart(query, cursor);
  const opening = await openingBalance(ctx, query, after);
  const rows = await statementPage(ctx.db, filterOf(query, after), query.limit + 1, opening);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    restaurant_id: query.restaurant_id,
    currency: query.currency,
    items: page.map(toLine),
    next_cursor:
      rows.length > query.limit && last !== undefined
        ? encodeCursor('statement', cursorFilters(query), { occurredAt: last.occurred_at.toISOString(), id: int8ToId(last.id) })
        : null,
  };
}

/**
 * Every line of the statement in range, fetched STATEMENT_STREAM_BATCH rows per round trip, so a
 * caller can stream any range (CSV) with memory that does not grow with it. The first batch opens
 * like a page; each next one opens with the previous batch's last running balance.
 * @throws LedgerError RESTAURANT_NOT_FOUND (before the first line)
 */
export async function* statementLines(ctx: LedgerContext, query: StatementQuery): AsyncGenerator<StatementLine> {
  await assertRestaurant(ctx, query.restaurant_id);
  let after = pageStart(query, undefined);
  let opening: Int8Value = await openingBalance(ctx, query, after);
  for (;;) {
    const rows = await statementPage(ctx.db, filterOf(query, after), STATEMENT_STREAM_BATCH, opening);
    for (const row of rows) yield toLine(row);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < STATEMENT_STREAM_BATCH) return;
    after = { occurredAt: last.occurred_at.toISOString(), id: int8ToId(last.id) };
    opening = last.running_balance;
  }
}

/**
 * Where a page starts: just after the cursor's entry, or just before `from` (the position
 * (from, 0) precedes every entry that occurred at `from`), whichever is later; undefined for the
 * very first entry. A cursor is only ever issued inside the range, so normally the cursor decides.
 */
function pageStart(query: StatementQuery, cursor: StatementPosition | undefined): StatementPosition | undefined {
  const from = query.from === undefined ? undefined : { occurredAt: query.from.toISOString(), id: '0' };
  if (cursor === undefined || from === undefined) return cursor ?? from;
  const order = Date.parse(cursor.occurredAt) - Date.parse(from.occurredAt) || Number(BigInt(cursor.id) - BigInt(from.id));
  return order >= 0 ? cursor : from;
}

/**
 * The running balance just before a page that starts after `after`: the sum of every entry up to
 * it. A read that found many entries no checkpoint covers asks for a new statement checkpoint.
 */
async function openingBalance(ctx: LedgerContext, query: StatementQuery, after: StatementPosition | undefined): Promise<Int8Value> {
  if (after === undefined) return 0;
  const opening = await statementOpening(ctx.db, query.restaurant_id, query.currency, after);
  if (int8ToSafeInteger(opening.entries_since) > (ctx.checkpointAfterEntries ?? CHECKPOINT_AFTER_ENTRIES_DEFAULT)) {
    ctx.balanceCheckpoints?.request(query.restaurant_id, query.currency, 'statement');
  }
  return opening.balance;
}

async function assertRestaurant(ctx: LedgerContext, restaurantId: string): Promise<void> {
  if ((await findRestaurant(ctx.db, restaurantId)) === undefined) throw restaurantNotFound(restaurantId);
}

function filterOf(query: StatementQuery, after: StatementPosition | undefined) {
  return { restaurantId: query.restaurant_id, currency: query.currency, to: query.to, after };
}

/** What a statement cursor pins: the next page must ask for the same restaurant, currency and range. */
function cursorFilters(query: StatementQuery) {
  return {
    restaurant_id: query.restaurant_id,
    currency: query.currency,
    from: query.from?.toISOString() ?? null,
    to: query.to?.toISOString() ?? null,
  };
}

const statementPositionSchema: z.ZodType<StatementPosition> = z.strictObject({
  occurredAt: z.iso.datetime(),
  id: z.string().regex(/^[0-9]{1,19}$/),
});

function toLine(row: StatementRow): StatementLine {
  return {
    ...toEntryView(row),
    event_id: row.event_id,
    payout_id: row.payout_id === null ? null : int8ToId(row.payout_id),
    running_balance: int8ToSafeInteger(row.running_balance),
  };
}

export const STATEMENT_CSV_HEADER = 'entry_id,entry_type,amount,occurred_at,available_at,event_id,payout_id,running_balance';

/**
 * One CSV line (RFC 4180 quoting where a field needs it). event_id is the processor's text: one
 * starting like a spreadsheet formula is prefixed with ' so opening the file cannot run it.
 */
export function statementCsvLine(line: StatementLine): string {
  const eventId = line.event_id !== null && /^[=+\-@]/.test(line.event_id) ? `'${line.event_id}` : line.event_id;
  const field = (value: string | number | null) => {
    const text = value === null ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [line.entry_id, line.entry_type, line.amount, line.occurred_at, line.available_at, eventId, line.payout_id, line.running_balance]
    .map(field)
    .join(',');
}
