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

/** An incoming event with the body exactly as the processor sent it. */
export interface IncomingEvent {
  event: ProcessorEventInput;
  rawPayload: unknown;
}

/**
 * Inserts the event unless its event_id is known. The UNIQUE constraint decides: of any number of
 * concurrent deliveries exactly one gets the row back, the others wait for it to commit and get none.
 */
export async function insertEventIfNew(
  trx: LedgerTransaction,
  event: ProcessorEventInput,
  rawPayload: unknown,
): Promise<StoredEventRow | undefined> {
  const [row] = await insertEventsIfNew(trx, [{ event, rawPayload }]);
  return row;
}

/**
 * insertEventIfNew for many events in one statement: returns the rows it inserted, in no given
 * order; an event_id already stored (or repeated in `events`) gets no row. Callers pass events
 * sorted by event_id so that concurrent batches take the unique index's locks in one order.
 */
export function insertEventsIfNew(trx: LedgerTransaction, events: readonly IncomingEvent[]): Promise<StoredEventRow[]> {
  if (events.length === 0) return Promise.resolve([]);
  return trx
    .insertInto('processor_events')
    .values(
      events.map(({ event, rawPayload }) => ({
        event_id: event.event_id,
        event_type: event.event_type,
        restaurant_id: event.restaurant_id,
        currency: event.currency,
        amount_minor: event.amount,
        fee_minor: event.fee,
        occurred_at: event.occurred_at,
        metadata: JSON.stringify(event.metadata),
        raw_payload: JSON.stringify(rawPayload),
      })),
    )
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning(STORED_EVENT_COLUMNS)
    .execute();
}

/** Fields compared to decide "same content"; the database compares, with its own semantics. */
export const COMPARED_FIELDS = ['event_type', 'restaurant_id', 'currency', 'amount', 'fee', 'occurred_at', 'metadata'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export type ComparedEventRow = StoredEventRow & { differing: ComparedField[] };

/**
 * The stored event with this event_id, and for each field whether it equals the incoming one.
 * Timestamps compare as instants (`Z` and `+00:00` are equal) and metadata as JSONB (key order
 * and whitespace do not matter), so only a real difference is a conflict.
 */
export async function findEventWithComparison(
  trx: LedgerTransaction,
  event: ProcessorEventInput,
): Promise<ComparedEventRow | undefined> {
  return (await compareWithStoredEvents(trx, [event])).get(event.event_id);
}

/**
 * findEventWithComparison for many events (distinct event_ids) in one round trip, keyed by event_id: the incoming
 * events travel as one JSON document, unpacked by jsonb_to_recordset into typed columns, so
 * PostgreSQL compares each field with the same semantics as for a single event.
 */
export async function compareWithStoredEvents(
  trx: LedgerTransaction,
  events: readonly ProcessorEventInput[],
): Promise<Map<string, ComparedEventRow>> {
  if (events.length === 0) return new Map();
  const incoming = JSON.stringify(
    events.map((event) => ({
      event_id: event.event_id,
      event_type: event.event_type,
      restaurant_id: event.restaurant_id,
      currency: event.currency,
      amount: event.amount,
      fee: event.fee,
      occurred_at: event.occurred_at,
      metadata: event.metadata,
    })),
  );
  const { rows } = await sql<StoredEventRow & Record<`same_${ComparedField}`, boolean>>`
    SELECT pe.id, pe.event_id, pe.event_type, pe.restaurant_id, pe.currency, pe.amount_minor, pe.fee_minor,
           pe.occurred_at, pe.received_at,
           pe.event_type = v.event_type AS same_event_type,
           pe.restaurant_id = v.restaurant_id AS same_restaurant_id,
           pe.currency = v.currency AS same_currency,
           pe.amount_minor = v.amount AS same_amount,
           pe.fee_minor = v.fee AS same_fee,
           pe.occurred_at = v.occurred_at AS same_occurred_at,
           pe.metadata = v.metadata AS same_metadata
      FROM jsonb_to_recordset(${incoming}::jsonb) AS v(
             event_id text, event_type text, restaurant_id text, currency text,
             amount bigint, fee bigint, occurred_at timestamptz, metadata jsonb)
      JOIN processor_events pe ON pe.event_id = v.event_id`.execute(trx);
  return new Map(
    rows.map((row) => {
      const differing = COMPARED_FIELDS.filter((field) => row[`same_${field}`] !== true);
      const stored: StoredEventRow = {
        id: row.id,
        event_id: row.event_id,
        event_type: row.event_type,
        restaurant_id: row.restaurant_id,
        currency: row.currency,
        amount_minor: row.amount_minor,
        fee_minor: row.fee_minor,
        occurred_at: row.occurred_at,
        received_at: row.received_at,
      };
      return [row.event_id, { ...stored, differing }];
    }),
  );
}
