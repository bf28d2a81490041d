import type { Int8Value } from '../db/int8.ts';
import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { LedgerEntryRow } from '../ledger/ledger-entry.repository.ts';
import type { ProcessorEventInput } from './event.schema.ts';
import type { EntrySettings, PlannedEntry } from './event-type.ts';

export interface StoredEventRow {
  id: Int8Value;
  event_id: string;
  event_type: string;
  restaurant_id: string;
  currency: string;
  amount_minor: Int8Value;
  fee_minor: Int8Value;
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

/**
 * Fields compared to decide "same content"; the database compares, with its own semantics:
 * timestamps as instants (`Z` and `+00:00` are equal), metadata as JSONB (key order and whitespace
 * do not matter), so only a real difference is a conflict.
 */
export const COMPARED_FIELDS = ['event_type', 'restaurant_id', 'currency', 'amount', 'fee', 'occurred_at', 'metadata'] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export type ComparedEventRow = StoredEventRow & { differing: ComparedField[] };

/** The stored column each compared field is held in (`pe`), beside the incoming one (`v`). */
const STORED_COLUMN: Record<ComparedField, string> = {
  event_type: 'event_type',
  restaurant_id: 'restaurant_id',
  currency: 'currency',
  amount: 'amount_minor',
  fee: 'fee_minor',
  occurred_at: 'occurred_at',
  metadata: 'metadata',
};

/** `pe.<column> = v.<field> AS same_<field>` for every compared field: the database's comparison, in both statements that make it. */
const SAME_FIELDS = sql.raw(COMPARED_FIELDS.map((field) => `pe.${STORED_COLUMN[field]} = v.${field} AS same_${field}`).join(',\n           '));

/** The same-content rule, the only one: the fields whose `same_<field>` the database did not find true. */
export function differingFields(row: Record<`same_${ComparedField}`, boolean | null>): ComparedField[] {
  return COMPARED_FIELDS.filter((field) => row[`same_${field}`] !== true);
}

/** The incoming events as one JSON document, for jsonb_to_recordset: one fixed statement text for any number. */
function incomingJson(items: readonly IncomingEvent[]): string {
  return JSON.stringify(
    items.map(({ event, rawPayload }, ordinal) => ({
      ordinal,
      event_id: event.event_id,
      event_type: event.event_type,
      restaurant_id: event.restaurant_id,
      currency: event.currency,
      amount: event.amount,
      fee: event.fee,
      occurred_at: event.occurred_at,
      metadata: event.metadata,
      raw_payload: rawPayload,
    })),
  );
}

/** An event row joined with one of its entries (entry columns null when it has none). */
type EventEntryRow = {
  entry_id: Int8Value | null;
  entry_type: string | null;
  entry_amount_minor: Int8Value | null;
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

/** What recordPlannedEvents did with one event. */
export type PlannedEventOutcome =
  /** The event was new: it, its entries and (when new) its restaurant are committed. */
  | { kind: 'recorded'; event: StoredEventRow; entries: LedgerEntryRow[]; settings: EntrySettings }
  /**
   * The event_id was stored before the statement began: the stored event compared field by field
   * with this one, and its entries, read through the unique index. Nothing written.
   */
  | { kind: 'stored'; event: ComparedEventRow; entries: LedgerEntryRow[] }
  /**
   * The event_id was stored by a delivery that committed while this statement ran (its insert met
   * the row; its snapshot does not see it): findEventsWithEntries reads it. Nothing written.
   */
  | { kind: 'known' }
  /**
   * The statement saw no restaurant and registered none: one committed after the statement began,
   * or the event_id is stored and this body names an unknown restaurant (a conflict). Nothing written.
   */
  | { kind: 'restaurant_unseen' };

/** An event to record with its whole effect, a fixed list of entries. */
export interface PlannedEvent extends IncomingEvent {
  planned: readonly PlannedEntry[];
}

/**
 * Records events (distinct event_ids) whose whole effect is `planned`, with their restaurants when
 * new, in ONE statement (one round trip, no BEGIN/COMMIT), however many: data-modifying CTEs, which
 * PostgreSQL runs atomically. The events travel as one JSON document (jsonb_to_recordset), so the
 * text never varies and one prepared statement serves a single event and a batch alike. In order:
 *
 * 1. `stored`: the events whose event_id is already stored, read through its unique index and
 *    compared field by field (differingFields): a replay or a conflict is answered from there, and
 *    the steps that write never see it (`fresh` is the rest), so a replay writes nothing and costs
 *    one index probe and its entries' read, in the same round trip;
 * 2. `known`: the restaurants' maturity windows, as this statement's snapshot sees them;
 * 3. `registered`: the restaurants unknown to it, each inserted only when a fresh event names it
 *    (a restaurant named only by replayed or conflicting bodies is never registered);
 * 4. `inserted`: the events, `ON CONFLICT (event_id) DO NOTHING`; the UNIQUE constraint decides
 *    between concurrent deliveries exactly as in the transactional path;
 * 5. `entries`: the planned entries, available_at computed here from occurred_at and the
 *    restaurant's maturity window (and reserve_days), a reserve share's amount from its
 *    reserve_percent (a share of 0 is not written), in event order then plan order. The settings
 *    are the restaurant row as this statement sees it, and come back with each event.
 *
 * Restaurants (sorted) before events (sorted by event_id) is the lock order of every ingestion path,
 * so they cannot deadlock. The foreign keys are checked at the end of the statement.
 *
 * A delivery of the same event_id that commits while this statement runs is `known`: nothing
 * written, and findEventsWithEntries reads it. It leaves to the transactional path, having written
 * nothing for it: an event whose restaurant was committed by another statement after this one's
 * snapshot (`restaurant_unseen`); and, a rare race, a restaurant this statement
 * registered that no recorded event names (a concurrent delivery recorded its event_id with other
 * content), where `ledger_fail_for_retry` fails the whole statement (SQLSTATE 40001).
 */
export async function recordPlannedEvents(
  db: LedgerDb,
  items: readonly PlannedEvent[],
  defaultMaturityDays: number,
): Promise<PlannedEventOutcome[]> {
  const { rows } = await recordPlannedEventsStatement(items, defaultMaturityDays).execute(db);
  const byOrdinal = items.map((): typeof rows => []);
  for (const row of rows) byOrdinal[row.ordinal]?.push(row);
  return byOrdinal.map(outcomeOf);
}

/** The planned entries of every event, one row each, as the statement reads them. */
function plannedJson(items: readonly PlannedEvent[]): string {
  return JSON.stringify(
    items.flatMap(({ planned: entries }, ordinal) =>
      entries.map((entry, position) => ({
        ordinal,
        position,
        entry_type: entry.entry_type,
        amount_minor: entry.amount_minor,
        available: entry.available,
        reserve_share: entry.share === 'reserve',
      })),
    ),
  );
}

/** The event columns a statement answers with (`e` the inserted row, `s` the stored one). */
const EVENT_COLUMNS = (alias: string) =>
  sql.raw(STORED_EVENT_COLUMNS.map((column) => `${alias}.${column}`).join(', '));

/** `NULL::boolean AS same_<field>`: an event the statement inserted was compared with nothing. */
const NO_SAME_FIELDS = sql.raw(COMPARED_FIELDS.map((field) => `NULL::boolean AS same_${field}`).join(', '));
const SAME_COLUMNS = (alias: string) => sql.raw(COMPARED_FIELDS.map((field) => `${alias}.same_${field}`).join(', '));

/**
 * The incoming events as rows. One event (every single-event webhook) is one row of parameters, so
 * the planner knows it is one: it probes the unique indexes. Several travel as one JSON document
 * (jsonb_to_recordset), one fixed text for any number, which the planner takes for about a hundred.
 * Measured (EXPLAIN ANALYZE of the generic plan, 5,000 events stored): planned for a hundred, one
 * event's statement hash-joined all of processor_events and ledger_entries where it should have probed.
 */
function incomingRows(items: readonly PlannedEvent[]) {
  const [only] = items;
  if (only === undefined || items.length > 1) {
    return sql`
      SELECT * FROM jsonb_to_recordset(${incomingJson(items)}::jsonb) AS v(
        ordinal int, event_id text, event_type text, restaurant_id text, currency text, amount bigint, fee bigint,
        occurred_at timestamptz, metadata jsonb, raw_payload jsonb)`;
  }
  const { event, rawPayload } = only;
  return sql`
      SELECT 0 AS ordinal, ${event.event_id}::text AS event_id, ${event.event_type}::text AS event_type,
             ${event.restaurant_id}::text AS restaurant_id, ${event.currency}::text AS currency, ${event.amount}::bigint AS amount,
             ${event.fee}::bigint AS fee, ${event.occurred_at}::timestamptz AS occurred_at,
             ${JSON.stringify(event.metadata)}::jsonb AS metadata, ${JSON.stringify(rawPayload)}::jsonb AS raw_payload`;
}

/** recordPlannedEvents' one statement (its steps are described there). */
function recordPlannedEventsStatement(items: readonly PlannedEvent[], defaultMaturityDays: number) {
  const planned = plannedJson(items);
  return sql<StatementRow>`/* prepared */
    WITH incoming AS (${incomingRows(items)}), planned AS (
      SELECT * FROM jsonb_to_recordset(${planned}::jsonb) AS p(
        ordinal int, position int, entry_type text, amount_minor bigint, available text, reserve_share boolean)
    ), stored AS (
      SELECT v.ordinal, ${EVENT_COLUMNS('pe')},
             ${SAME_FIELDS}
        FROM incoming v JOIN processor_events pe ON pe.event_id = v.event_id
    ), fresh AS (
      -- NOT IN, not NOT EXISTS: as an anti-join the planner took fresh for one row whenever it took
      -- stored for all of them, and nested-looped a batch of 1,000 (1.5 s instead of 0.2 s).
      SELECT v.* FROM incoming v WHERE v.ordinal NOT IN (SELECT s.ordinal FROM stored s)
    ), known AS (
      SELECT id, maturity_days, reserve_percent, reserve_days FROM restaurants WHERE id IN (SELECT restaurant_id FROM fresh)
    ), registered AS (
      INSERT INTO restaurants (id, name, maturity_days)
      SELECT DISTINCT v.restaurant_id, NULL::text, ${defaultMaturityDays}::int
        FROM fresh v
       WHERE NOT EXISTS (SELECT FROM known k WHERE k.id = v.restaurant_id)
       ORDER BY 1
      ON CONFLICT (id) DO NOTHING
      RETURNING id, maturity_days, reserve_percent, reserve_days
    ), restaurant AS (
      SELECT * FROM known UNION ALL SELECT * FROM registered
    ), inserted AS (
      INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, metadata, raw_payload)
      SELECT v.event_id, v.event_type, v.restaurant_id, v.currency, v.amount, v.fee, v.occurred_at, v.metadata, v.raw_payload
        FROM fresh v JOIN restaurant r ON r.id = v.restaurant_id
       ORDER BY v.event_id
      ON CONFLICT (event_id) DO NOTHING
      RETURNING id, event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, received_at
    ), entries AS (
      INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT e.id, e.restaurant_id, e.currency, p.entry_type, x.amount_minor, e.occurred_at,
             e.occurred_at + make_interval(hours => 24 * CASE p.available WHEN 'at_once' THEN 0
                                                               WHEN 'after_maturity_window' THEN r.maturity_days
                                                               ELSE r.maturity_days + r.reserve_days END)
        FROM inserted e
        JOIN fresh v ON v.event_id = e.event_id
        JOIN restaurant r ON r.id = e.restaurant_id
        JOIN planned p ON p.ordinal = v.ordinal
        -- A reserve share: sign × floor(|amount| × bps / 10000), in numeric (the product can exceed int8).
        CROSS JOIN LATERAL (
          SELECT CASE WHEN p.reserve_share THEN sign(p.amount_minor::numeric) * div(abs(p.amount_minor)::numeric * r.reserve_percent, 10000)
                      ELSE p.amount_minor END::bigint AS amount_minor
        ) x
       WHERE NOT p.reserve_share OR x.amount_minor <> 0
       ORDER BY v.ordinal, p.position
      RETURNING id, processor_event_id, entry_type, amount_minor, occurred_at, available_at
    ), answered AS (
      SELECT v.ordinal, false AS stored, ${EVENT_COLUMNS('e')}, ${NO_SAME_FIELDS}
        FROM inserted e JOIN fresh v ON v.event_id = e.event_id
      UNION ALL
      SELECT s.ordinal, true, ${EVENT_COLUMNS('s')}, ${SAME_COLUMNS('s')} FROM stored s
    ), answered_entries AS (
      SELECT id, processor_event_id, entry_type, amount_minor, occurred_at, available_at FROM entries
      UNION ALL
      SELECT le.id, le.processor_event_id, le.entry_type, le.amount_minor, le.occurred_at, le.available_at
        FROM stored s JOIN ledger_entries le ON le.processor_event_id = s.id
    )
    SELECT v.ordinal, r.id IS NOT NULL AS restaurant_seen,
           r.maturity_days, r.reserve_percent, r.reserve_days,
           CASE WHEN EXISTS (SELECT FROM registered g WHERE NOT EXISTS (SELECT FROM inserted e WHERE e.restaurant_id = g.id))
                THEN ledger_fail_for_retry('restaurant registered for an event_id recorded concurrently with other content')
           END AS retry,
           a.stored, ${EVENT_COLUMNS('a')}, ${SAME_COLUMNS('a')},
           le.id AS entry_id, le.entry_type, le.amount_minor AS entry_amount_minor, le.occurred_at AS entry_occurred_at,
           le.available_at AS entry_available_at
      FROM incoming v
      LEFT JOIN restaurant r ON r.id = v.restaurant_id
      LEFT JOIN answered a ON a.ordinal = v.ordinal
      LEFT JOIN answered_entries le ON le.processor_event_id = a.id
     ORDER BY v.ordinal, le.id`;
}

/** The restaurant's settings the statement wrote an event's entries with (null when it saw no restaurant). */
type RestaurantSettingsRow = { maturity_days: number | null; reserve_percent: number | null; reserve_days: number | null };

/** One row of recordPlannedEvents' statement: an event (inserted, stored or neither) with one of its entries. */
type StatementRow = Nullable<StoredEventRow> &
  EventEntryRow &
  RestaurantSettingsRow &
  Record<`same_${ComparedField}`, boolean | null> & { ordinal: number; restaurant_seen: boolean; stored: boolean | null };

function outcomeOf(rows: readonly StatementRow[]): PlannedEventOutcome {
  const [first] = rows;
  if (first === undefined) throw new Error('recordPlannedEvents: an event came back without its row');
  if (first.id === null) return first.restaurant_seen ? { kind: 'known' } : { kind: 'restaurant_unseen' };
  const event = storedEventOf(first as StoredEventRow);
  if (first.stored === true) return { kind: 'stored', event: { ...event, differing: differingFields(first) }, entries: entriesOf(rows) };
  const { maturity_days, reserve_percent, reserve_days } = first;
  if (maturity_days === null || reserve_percent === null || reserve_days === null) throw new Error('recordPlannedEvents: a recorded event without its restaurant');
  const settings = { maturityDays: maturity_days, reservePercent: reserve_percent, reserveDays: reserve_days };
  return { kind: 'recorded', event, entries: entriesOf(rows), settings };
}

/**
 * The stored events with these event_ids (distinct), each compared field by field with the incoming
 * one (differingFields) and with its recorded entries in id order, keyed by event_id: a replay's
 * whole answer, or a conflict's differing fields, in one statement for any number of events.
 */
export async function findEventsWithEntries(
  db: LedgerDb,
  events: readonly ProcessorEventInput[],
): Promise<Map<string, ComparedEventRow & { entries: LedgerEntryRow[] }>> {
  const incoming = incomingJson(events.map((event) => ({ event, rawPayload: null })));
  const { rows } = await sql<StoredEventRow & EventEntryRow & Record<`same_${ComparedField}`, boolean>>`/* prepared */
    SELECT pe.id, pe.event_id, pe.event_type, pe.restaurant_id, pe.currency, pe.amount_minor, pe.fee_minor,
           pe.occurred_at, pe.received_at,
           ${SAME_FIELDS},
           le.id AS entry_id, le.entry_type, le.amount_minor AS entry_amount_minor, le.occurred_at AS entry_occurred_at,
           le.available_at AS entry_available_at
      FROM jsonb_to_recordset(${incoming}::jsonb) AS v(
             event_id text, event_type text, restaurant_id text, currency text,
             amount bigint, fee bigint, occurred_at timestamptz, metadata jsonb)
      JOIN processor_events pe ON pe.event_id = v.event_id
      LEFT JOIN ledger_entries le ON le.processor_event_id = pe.id
     ORDER BY pe.id, le.id`.execute(db);
  const found = new Map<string, ComparedEventRow & { entries: LedgerEntryRow[] }>();
  for (const row of rows) {
    const known = found.get(row.event_id);
    if (known === undefined) found.set(row.event_id, { ...storedEventOf(row), differing: differingFields(row), entries: entriesOf([row]) });
    else known.entries.push(...entriesOf([row]));
  }
  return found;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };
