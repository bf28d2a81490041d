import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { PlannedEntry } from '../events/handlers/event-handler.ts';

export interface LedgerEntryRow {
  id: string | number | bigint;
  entry_type: string;
  amount_minor: string | number | bigint;
  occurred_at: Date;
  available_at: Date;
}

const ENTRY_COLUMNS = ['id', 'entry_type', 'amount_minor', 'occurred_at', 'available_at'] as const;

/**
 * Writes an event's entries. available_at is computed by PostgreSQL from the occurred_at string, so
 * sub-millisecond precision survives; a window of N days is exactly N*24 hours whatever the zone.
 */
export function insertEventEntries(
  trx: LedgerTransaction,
  source: { eventPk: string | number | bigint; restaurantId: string; currency: string; occurredAt: string },
  planned: readonly PlannedEntry[],
): Promise<LedgerEntryRow[]> {
  return trx
    .insertInto('ledger_entries')
    .values(
      planned.map((entry) => ({
        processor_event_id: source.eventPk,
        restaurant_id: source.restaurantId,
        currency: source.currency,
        entry_type: entry.entry_type,
        amount_minor: entry.amount_minor,
        occurred_at: source.occurredAt,
        available_at: sql<string>`${source.occurredAt}::timestamptz + make_interval(hours => ${entry.matures_after_days * 24})`,
      })),
    )
    .returning(ENTRY_COLUMNS)
    .execute();
}

export function listEventEntries(db: LedgerDb, eventPk: string | number | bigint): Promise<LedgerEntryRow[]> {
  return db
    .selectFrom('ledger_entries')
    .select(ENTRY_COLUMNS)
    .where('processor_event_id', '=', eventPk)
    .orderBy('id')
    .execute();
}

/** The +amount entry of a failed payout: available at once, so the funds can be paid out again. */
export async function insertPayoutReversal(
  trx: LedgerTransaction,
  source: { eventPk: string | number | bigint; payoutId: string; event: { restaurant_id: string; currency: string; amount: number; occurred_at: string } },
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
