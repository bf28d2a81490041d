import { sql } from 'kysely';
import type { LedgerTransaction } from '../db/database.ts';
import type { ProcessorEventInput } from './event.schema.ts';

export interface StoredEventRow {
  id: string | number | bigint;
  event_id: string;
  event_type: string;
  restaurant_id: string;
  currency: string;
  amount_minor: string | number | bigint;
  fee_minor: string | number | bigint;
  occurred_at: Date;
  received_at: Date;
}

const STORED_EVENT_COLUMNS = [
  'id',
  'event_id',
  'event_type',
  'restaurant_id',
  'currency',
  'amount_minor',
  'fee_minor',
  'occurred_at',
  'received_at',
] as const;

/**
 * Inserts the event unless its event_id is known. The UNIQUE constraint decides: of any number of
 * concurrent deliveries exactly one gets the row back, the others wait for it to commit and get none.
 */
export function insertEventIfNew(
  trx: LedgerTransaction,
  event: ProcessorEventInput,
  rawPayload: unknown,
): Promise<StoredEventRow | undefined> {
  return trx
    .insertInto('processor_events')
    .values({
      event_id: event.event_id,
      event_type: event.event_type,
      restaurant_id: event.restaurant_id,
      currency: event.currency,
      amount_minor: event.amount,
      fee_minor: event.fee,
      occurred_at: event.occurred_at,
      metadata: JSON.stringify(event.metadata),
      raw_payload: JSON.stringify(rawPayload),
    })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning(STORED_EVENT_COLUMNS)
    .executeTakeFirst();
}

/** Fields compared to decide "same content"; the database compares, with its own semantics. */
export const COMPARED_FIELDS = ['event_type', 'restaurant_id', 'currency', 'amount', 'fee', 'occurred_at', 'metadata'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

/**
 * The stored event with this event_id, and for each field whether it equals the incoming one.
 * Timestamps compare as instants (`Z` and `+00:00` are equal) and metadata as JSONB (key order
 * and whitespace do not matter), so only a real difference is a conflict.
 */
export async function findEventWithComparison(
  trx: LedgerTransaction,
  event: ProcessorEventInput,
): Promise<(StoredEventRow & { differing: ComparedField[] }) | undefined> {
  const row = await trx
    .selectFrom('processor_events')
    .select(STORED_EVENT_COLUMNS)
    .select([
      sql<boolean>`event_type = ${event.event_type}`.as('same_event_type'),
      sql<boolean>`restaurant_id = ${event.restaurant_id}`.as('same_restaurant_id'),
      sql<boolean>`currency = ${event.currency}`.as('same_currency'),
      sql<boolean>`amount_minor = ${event.amount}`.as('same_amount'),
      sql<boolean>`fee_minor = ${event.fee}`.as('same_fee'),
      sql<boolean>`occurred_at = ${event.occurred_at}::timestamptz`.as('same_occurred_at'),
      sql<boolean>`metadata = ${JSON.stringify(event.metadata)}::jsonb`.as('same_metadata'),
    ])
    .where('event_id', '=', event.event_id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const differing = COMPARED_FIELDS.filter((field) => row[`same_${field}`] !== true);
  return { ...row, differing };
}
