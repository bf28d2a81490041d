import { isDataException } from '../db/availability.ts';
import type { LedgerTransaction } from '../db/database.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import { isLedgerError, LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import {
  type EventLedgerEntryRow,
  insertEntriesOfEvents,
  listEntriesOfEvents,
} from '../ledger/ledger-entry.repository.ts';
import { EVENT_BATCH_MAX } from '../limits.ts';
import { deleteRestaurantsWithoutEvents, registerRestaurants } from '../restaurants/restaurant.repository.ts';
import { ledgerErrorFromZod } from '../validation.ts';
import { compareWithStoredEvents, insertEventsIfNew, type StoredEventRow } from './event.repository.ts';
import { type IngestResult, type ProcessorEventInput, processorEventInputSchema } from './event.schema.ts';
import { withMaturity } from './handlers/event-handler.ts';
import { EVENT_HANDLERS } from './handlers/index.ts';
import { checkEventRules, eventIdConflict, ingestEvent, toEntryView, toEventView } from './ingest-event.ts';

/** One event's outcome in a batch: what ingestEvent would have returned, or thrown, for it alone. */
export type BatchItemOutcome = { index: number; event_id: string | null } & (
  | { result: IngestResult; error?: undefined }
  | { error: LedgerError; result?: undefined }
);

interface AcceptedItem {
  index: number;
  event: ProcessorEventInput;
  rawPayload: unknown;
}

/**
 * Records a batch of processor events (as sent: each is validated on its own) and returns one
 * outcome per event, in batch order, with the same meaning as ingestEvent for that event alone:
 * recorded, an idempotent replay, EVENT_ID_CONFLICT, or a validation error. One bad event does not
 * block the others.
 *
 * Events whose whole effect is a fixed list of entries (charges, refunds) are written together in
 * one transaction of a handful of statements, however many there are: one insert of their
 * restaurants, one `INSERT … ON CONFLICT (event_id) DO NOTHING` of the events, one insert of all
 * their entries, and for the event_ids already stored one comparison and one read of their
 * entries. The UNIQUE constraint still decides every duplicate, and each event stays
 * all-or-nothing: its row and its entries commit together. Payout events (which lock and change a
 * payout) and repeats of an event_id within the batch then go through ingestEvent one at a time.
 *
 * Throws only when the database fails; the events recorded before that stay recorded, so sending
 * the batch again is safe (they answer as replays).
 */
export async function ingestEventBatch(ctx: LedgerContext, items: readonly unknown[]): Promise<BatchItemOutcome[]> {
  if (items.length > EVENT_BATCH_MAX) {
    throw new LedgerError('VALIDATION_ERROR', `A batch holds at most ${EVENT_BATCH_MAX} events`, {
      issues: [{ field: 'events', message: `must hold at most ${EVENT_BATCH_MAX} events` }],
    });
  }
  const now = ctx.clock();
  const outcomes: BatchItemOutcome[] = [];
  const inBulk: AcceptedItem[] = [];
  const oneByOne: AcceptedItem[] = [];
  const seen = new Set<string>();
  items.forEach((rawPayload, index) => {
    const checked = checkItem(rawPayload, now);
    if (checked instanceof LedgerError) {
      outcomes.push({ index, event_id: eventIdOf(rawPayload), error: checked });
      return;
    }
    const first = !seen.has(checked.event_id);
    seen.add(checked.event_id);
    const bulkable = first && EVENT_HANDLERS[checked.event_type].plan !== undefined;
    (bulkable ? inBulk : oneByOne).push({ index, event: checked, rawPayload });
  });
  outcomes.push(...(await ingestInBulk(ctx, inBulk)));
  for (const item of oneByOne) outcomes.push(await ingestAlone(ctx, item));
  return outcomes.sort((a, b) => a.index - b.index);
}

function checkItem(rawPayload: unknown, now: Date): ProcessorEventInput | LedgerError {
  const parsed = processorEventInputSchema.safeParse(rawPayload);
  if (!parsed.success) return ledgerErrorFromZod(parsed.error);
  try {
    checkEventRules(parsed.data, now);
    return parsed.data;
  } catch (error) {
    if (isLedgerError(error)) return error;
    throw error;
  }
}

/** The event_id as sent, when it is a string, so a client can match a refused event to its outcome. */
function eventIdOf(rawPayload: unknown): string | null {
  const eventId = typeof rawPayload === 'object' && rawPayload !== null ? (rawPayload as { event_id?: unknown }).event_id : undefined;
  return typeof eventId === 'string' ? eventId : null;
}

async function ingestAlone(ctx: LedgerContext, { index, event, rawPayload }: AcceptedItem): Promise<BatchItemOutcome> {
  try {
    return { index, event_id: event.event_id, result: await ingestEvent(ctx, event, rawPayload) };
  } catch (error) {
    if (isLedgerError(error)) return { index, event_id: event.event_id, error };
    if (isDataException(error)) {
      const refused = new LedgerError('VALIDATION_ERROR', 'A value in the event cannot be stored', {
        issues: [{ field: '(event)', message: 'a value was refused by the database' }],
      });
      return { index, event_id: event.event_id, error: refused };
    }
    throw error;
  }
}

async function ingestInBulk(ctx: LedgerContext, items: readonly AcceptedItem[]): Promise<BatchItemOutcome[]> {
  if (items.length === 0) return [];
  try {
    return await inTransaction(ctx.db, (trx) => writeInBulk(trx, ctx.defaultMaturityDays, items));
  } catch (error) {
    // A value PostgreSQL refuses (validation should have caught it first) fails the whole statement
    // and rolls everything back; taking the events one at a time finds which one it was.
    if (!isDataException(error)) throw error;
    const outcomes: BatchItemOutcome[] = [];
    for (const item of items) outcomes.push(await ingestAlone(ctx, item));
    return outcomes;
  }
}

async function writeInBulk(
  trx: LedgerTransaction,
  defaultMaturityDays: number,
  items: readonly AcceptedItem[],
): Promise<BatchItemOutcome[]> {
  // Sorted keys: concurrent batches take the unique indexes' locks in one order, so they cannot deadlock.
  const restaurantIds = [...new Set(items.map((item) => item.event.restaurant_id))].sort();
  const restaurants = await registerRestaurants(trx, restaurantIds, defaultMaturityDays);
  const sorted = [...items].sort((a, b) => (a.event.event_id < b.event.event_id ? -1 : 1));
  const inserted = new Map((await insertEventsIfNew(trx, sorted)).map((row) => [row.event_id, row]));
  const fresh = items.filter((item) => inserted.has(item.event.event_id));
  const known = items.filter((item) => !inserted.has(item.event.event_id));
  const created = await writeEntries(trx, fresh, inserted, restaurants.maturityDays);
  const replayed = await decideReplays(trx, known);
  // Restaurants registered only for events refused as conflicts: a refused event leaves nothing.
  const named = new Set(fresh.map((item) => item.event.restaurant_id));
  await deleteRestaurantsWithoutEvents(trx, [...restaurants.created].filter((id) => !named.has(id)));
  return [...created, ...replayed];
}

async function writeEntries(
  trx: LedgerTransaction,
  fresh: readonly AcceptedItem[],
  inserted: ReadonlyMap<string, StoredEventRow>,
  maturityDays: ReadonlyMap<string, number>,
): Promise<BatchItemOutcome[]> {
  const planned = fresh.map(({ index, event }) => {
    const row = required(inserted, event.event_id);
    const plan = EVENT_HANDLERS[event.event_type].plan;
    if (plan === undefined) throw new Error(`${event.event_type} cannot be written in bulk`);
    const source = { eventPk: row.id, restaurantId: event.restaurant_id, currency: event.currency, occurredAt: event.occurred_at };
    return { index, row, source, planned: withMaturity(plan(event), required(maturityDays, event.restaurant_id)) };
  });
  const entries = entriesByEvent(await insertEntriesOfEvents(trx, planned));
  return planned.map(({ index, row, planned: plannedEntries }) => {
    const written = entries.get(String(row.id)) ?? [];
    // Assert what was asked for came back: an event is all of its entries or none.
    if (written.length !== plannedEntries.length) throw new Error(`event ${row.event_id}: ${written.length} of ${plannedEntries.length} entries written`);
    return { index, event_id: row.event_id, result: { idempotent: false, event: toEventView(row), entries: written.map(toEntryView) } };
  });
}

/** Events whose event_id was already stored: replays (same content) or conflicts. */
async function decideReplays(trx: LedgerTransaction, known: readonly AcceptedItem[]): Promise<BatchItemOutcome[]> {
  const stored = await compareWithStoredEvents(trx, known.map((item) => item.event));
  const replays = [...stored.values()].filter((row) => row.differing.length === 0);
  const entries = entriesByEvent(await listEntriesOfEvents(trx, replays.map((row) => row.id)));
  return known.map(({ index, event }) => {
    // The insert met a conflicting row, so the row exists: rows are never deleted.
    const row = required(stored, event.event_id);
    if (row.differing.length > 0) return { index, event_id: event.event_id, error: eventIdConflict(event.event_id, row.differing) };
    const recorded = (entries.get(String(row.id)) ?? []).map(toEntryView);
    return { index, event_id: event.event_id, result: { idempotent: true, event: toEventView(row), entries: recorded } };
  });
}

function entriesByEvent(rows: readonly EventLedgerEntryRow[]): Map<string, EventLedgerEntryRow[]> {
  const byEvent = new Map<string, EventLedgerEntryRow[]>();
  for (const row of rows) {
    const key = String(row.processor_event_id);
    const list = byEvent.get(key);
    if (list === undefined) byEvent.set(key, [row]);
    else list.push(row);
  }
  for (const list of byEvent.values()) list.sort((a, b) => (BigInt(String(a.id)) < BigInt(String(b.id)) ? -1 : 1));
  return byEvent;
}

function required<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const value = map.get(key);
  if (value === undefined) throw new Error(`missing ${String(key)}`);
  return value;
}
