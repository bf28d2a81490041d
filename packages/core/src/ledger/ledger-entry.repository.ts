import type { Int8Value } from '../db/int8.ts';
import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { EntryType } from '../events/event.schema.ts';

export interface LedgerEntryRow {
  id: Int8Value;
  entry_type: string;
  amount_minor: Int8Value;
  occurred_at: Date;
  available_at: Date;
}

const ENTRY_COLUMNS = ['id', 'entry_type', 'amount_minor', 'occurred_at', 'available_at'] as const;

/** One entry of an event, ready to write. */
export interface EntryToWrite {
  entry_type: EntryType;
  /** Signed: credits to the restaurant positive, debits negative. */
  amount_minor: number;
  /** available_at = occurred_at + this many days (0: available at once). */
  matures_after_days: number;
}

/** Where an event's entries come from: the event row and the fields every entry repeats. */
export interface EntrySource {
  eventPk: Int8Value;
  restaurantId: string;
  currency: string;
  occurredAt: string;
}

/** An entry as written back, with the event it belongs to (for writes of several events at once). */
export type EventLedgerEntryRow = LedgerEntryRow & { processor_event_id: Int8Value };

/**
 * Writes an event's entries. available_at is computed by PostgreSQL from the occurred_at string, so
 * sub-millisecond precision survives; a window of N days is exactly N*24 hours whatever the zone.
 */
export function insertEventEntries(trx: LedgerTransaction, source: EntrySource, planned: readonly EntryToWrite[]): Promise<EventLedgerEntryRow[]> {
  return insertEntriesOfEvents(trx, [{ source, planned }]);
}

/**
 * insertEventEntries for many events in one statement. Rows come back in no given order; group
 * them by processor_event_id and order by id.
 */
export function insertEntriesOfEvents(
  trx: LedgerTransaction,
  events: ReadonlyArray<{ source: EntrySource; planned: readonly EntryToWrite[] }>,
): Promise<EventLedgerEntryRow[]> {
  const rows = events.flatMap(({ source, planned }) =>
    planned.map((entry) => ({
      processor_event_id: source.eventPk,
      restaurant_id: source.restaurantId,
      currency: source.currency,
      entry_type: entry.entry_type,
      amount_minor: entry.amount_minor,
      occurred_at: source.occurredAt,
      available_at: sql<string>`${source.occurredAt}::timestamptz + make_interval(hours => ${entry.matures_after_days * 24})`,
    })),
  );
  if (rows.length === 0) return Promise.resolve([]);
  return trx
    .insertInto('ledger_entries')
    .values(rows)
    .returning([...ENTRY_COLUMNS, 'processor_event_id'])
    .execute() as Promise<EventLedgerEntryRow[]>;
}

export function listEventEntries(db: LedgerDb, eventPk: Int8Value): Promise<LedgerEntryRow[]> {
  return listEntriesOfEvents(db, [eventPk]);
}

/** The entries of several events, each event's in id order. */
export function listEntriesOfEvents(db: LedgerDb, eventPks: ReadonlyArray<Int8Value>): Promise<EventLedgerEntryRow[]> {
  if (eventPks.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('ledger_entries')
    .select([...ENTRY_COLUMNS, 'processor_event_id'])
    .where('processor_event_id', 'in', eventPks)
    .orderBy('processor_event_id')
    .orderBy('id')
    .execute() as Promise<EventLedgerEntryRow[]>;
}

/** The +amount entry of a failed payout: available at once, so the funds can be paid out again. */
export async function insertPayoutReversal(
  trx: LedgerTransaction,
  source: { eventPk: Int8Value; payoutId: string; event: { restaurant_id: string; currency: string; amount: number; occurred_at: string } },
): Promise<LedgerEntryRow> {
  return trx
    .insertInto('ledger_entries')
    .values({
      processor_event_id: source.eventPk,
      payout_id: source.payoutId,
      restaurant_id: source.event.restaurant_id,
      currency: source.event.currency,
      entry_type: 'payout_reversal',
      amount_minor: source.event.amount,
      occurred_at: source.event.occurred_at,
      available_at: source.event.occurred_at,
    })
    .returning(ENTRY_COLUMNS)
    .executeTakeFirstOrThrow();
}
