import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { LedgerEntryRow } from '../ledger/ledger-entry.repository.ts';
import type { ProcessorEventInput } from './event.schema.ts';
import type { PlannedEntry } from './handlers/event-handler.ts';

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

/** An event row joined with one of its entries (entry columns null when it has none). */
type EventEntryRow = {
  entry_id: string | number | bigint | null;
  entry_type: string | null;
  entry_amount_minor: string | number | bigint | null;
  entry_occurred_at: Date | null;
  entry_available_at: Date | null;
};

function entriesOf(rows: readonly EventEntryRow[]): LedgerEntryRow[] {
  return rows.flatMap((row) =>
    row.entry_id === null || row.entry_type === null || row.entry_amount_minor === null || row.entry_occurred_at === null || row.entry_available_at === null
      ? []
      : [{ id: row.entry_id, entry_type: row.entry_type, amount_minor: row.entry_amount_minor, occurred_at: row.entry_occurred_at, available_at: row.entry_available_at }],
  );
}

function storedEventOf(row: StoredEventRow): StoredEventRow {
  const { id, event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, received_at } = row;
  return { id, event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, received_at };
}

/** What recordPlannedEvent did. */
export type PlannedEventOutcome =
  /** The event was new: it, its entries and (when new) its restaurant are committed. */
  | { kind: 'recorded'; event: StoredEventRow; entries: LedgerEntryRow[] }
  /** The event_id is stored (committed): a replay or a conflict, for findEventWithEntries to decide. Nothing written. */
  | { kind: 'known' }
  /**
   * The statement saw no restaurant and registered none: one committed after the statement began,
   * or the event_id is stored and this body names an unknown restaurant (a conflict). Nothing written.
   */
  | { kind: 'restaurant_unseen' };

/**
 * Records an event whose whole effect is `planned`, with its restaurant when new, in ONE statement
 * (one round trip, no BEGIN/COMMIT): data-modifying CTEs, which PostgreSQL runs atomically, so the
 * event, its entries and its restaurant commit together or not at all. That is why it takes the
 * pool and not a Transaction: the statement is its own unit of work. In order:
 *
 * 1. `known`: the restaurant's maturity window, as this statement's snapshot sees it;
 * 2. `registered`: the restaurant, inserted only when it is unknown AND the event_id is not stored
 *    (so a restaurant named only by a replayed or conflicting body is never registered);
 * 3. `inserted`: the event, `ON CONFLICT (event_id) DO NOTHING`; the UNIQUE constraint decides
 *    between concurrent deliveries exactly as in the transactional path (a loser waits for the
 *    winner to commit and inserts nothing);
 * 4. `entries`: the planned entries (arrays, so the text never varies), available_at computed here
 *    from occurred_at and the restaurant's window, in plan order.
 *
 * Restaurant before event is the lock order of every other ingestion path, so they cannot deadlock.
 * The foreign keys are checked at the end of the statement, when all of it is in place.
 *
 * It leaves to the transactional path, having written nothing: a restaurant committed by another
 * first event after this statement's snapshot, or a stored event_id sent again naming an unknown
 * restaurant (both `restaurant_unseen`); and, a rare race, a restaurant this statement registered
 * for an event_id that a concurrent delivery recorded with other content, where
 * `ledger_fail_for_retry` fails the whole statement (SQLSTATE 40001) so that not even the
 * restaurant stays.
 */
export async function recordPlannedEvent(
  db: LedgerDb,
  { event, rawPayload }: IncomingEvent,
  planned: readonly PlannedEntry[],
  defaultMaturityDays: number,
): Promise<PlannedEventOutcome> {
  const { rows } = await sql<Nullable<StoredEventRow> & EventEntryRow & { restaurant_seen: boolean }>`/* prepared */
    WITH known AS (
      SELECT maturity_days FROM restaurants WHERE id = ${event.restaurant_id}
    ), registered AS (
      INSERT INTO restaurants (id, name, maturity_days)
      SELECT ${event.restaurant_id}::text, NULL, ${defaultMaturityDays}::int
       WHERE NOT EXISTS (SELECT FROM known)
         AND NOT EXISTS (SELECT FROM processor_events WHERE event_id = ${event.event_id})
      ON CONFLICT (id) DO NOTHING
      RETURNING maturity_days
    ), restaurant AS (
      SELECT maturity_days FROM known UNION ALL SELECT maturity_days FROM registered
    ), inserted AS (
      INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, metadata, raw_payload)
      SELECT ${event.event_id}::text, ${event.event_type}::text, ${event.restaurant_id}::text, ${event.currency}::text, ${event.amount}::bigint,
             ${event.fee}::bigint, ${event.occurred_at}::timestamptz, ${JSON.stringify(event.metadata)}::jsonb,
             ${JSON.stringify(rawPayload)}::jsonb
        FROM restaurant
      ON CONFLICT (event_id) DO NOTHING
      RETURNING id, event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, received_at
    ), entries AS (
      INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT e.id, e.restaurant_id, e.currency, p.entry_type, p.amount_minor, e.occurred_at,
             e.occurred_at + make_interval(hours => CASE WHEN p.after_window THEN r.maturity_days * 24 ELSE 0 END)
        FROM inserted e
        CROSS JOIN restaurant r
        CROSS JOIN unnest(${planned.map((p) => p.entry_type)}::text[], ${planned.map((p) => p.amount_minor)}::bigint[],
                          ${planned.map((p) => p.available === 'after_maturity_window')}::boolean[])
                   WITH ORDINALITY AS p(entry_type, amount_minor, after_window, ordinal)
       ORDER BY p.ordinal
      RETURNING id, entry_type, amount_minor, occurred_at, available_at
    )
    SELECT EXISTS (SELECT FROM restaurant) AS restaurant_seen,
           CASE WHEN EXISTS (SELECT FROM registered) AND NOT EXISTS (SELECT FROM inserted)
                THEN ledger_fail_for_retry('restaurant registered for an event_id recorded concurrently with other content')
           END AS retry,
           e.id, e.event_id, e.event_type, e.restaurant_id, e.currency, e.amount_minor, e.fee_minor, e.occurred_at, e.received_at,
           le.id AS entry_id, le.entry_type, le.amount_minor AS entry_amount_minor, le.occurred_at AS entry_occurred_at,
           le.available_at AS entry_available_at
      FROM (SELECT) AS one
      LEFT JOIN inserted e ON true
      LEFT JOIN entries le ON true
     ORDER BY le.id`.execute(db);
  const [first] = rows;
  if (first === undefined) throw new Error('recordPlannedEvent: the statement returned no row');
  if (first.id === null) return first.restaurant_seen ? { kind: 'known' } : { kind: 'restaurant_unseen' };
  return { kind: 'recorded', event: storedEventOf(first as StoredEventRow), entries: entriesOf(rows) };
}

/**
 * The stored event with this event_id compared field by field with the incoming one (same
 * semantics as compareWithStoredEvents: instants, JSONB), with its recorded entries in id order:
 * a replay's whole answer, or a conflict's differing fields, in one statement.
 */
export async function findEventWithEntries(
  db: LedgerDb,
  event: ProcessorEventInput,
): Promise<(ComparedEventRow & { entries: LedgerEntryRow[] }) | undefined> {
  const { rows } = await sql<StoredEventRow & EventEntryRow & Record<`same_${ComparedField}`, boolean>>`/* prepared */
    SELECT pe.id, pe.event_id, pe.event_type, pe.restaurant_id, pe.currency, pe.amount_minor, pe.fee_minor,
           pe.occurred_at, pe.received_at,
           pe.event_type = ${event.event_type}::text AS same_event_type,
           pe.restaurant_id = ${event.restaurant_id}::text AS same_restaurant_id,
           pe.currency = ${event.currency}::text AS same_currency,
           pe.amount_minor = ${event.amount}::bigint AS same_amount,
           pe.fee_minor = ${event.fee}::bigint AS same_fee,
           pe.occurred_at = ${event.occurred_at}::timestamptz AS same_occurred_at,
           pe.metadata = ${JSON.stringify(event.metadata)}::jsonb AS same_metadata,
           le.id AS entry_id, le.entry_type, le.amount_minor AS entry_amount_minor, le.occurred_at AS entry_occurred_at,
           le.available_at AS entry_available_at
      FROM processor_events pe
      LEFT JOIN ledger_entries le ON le.processor_event_id = pe.id
     WHERE pe.event_id = ${event.event_id}
     ORDER BY le.id`.execute(db);
  const [first] = rows;
  if (first === undefined) return undefined;
  const differing = COMPARED_FIELDS.filter((field) => first[`same_${field}`] !== true);
  return { ...storedEventOf(first), differing, entries: entriesOf(rows) };
}

type Nullable<T> = { [K in keyof T]: T[K] | null };
