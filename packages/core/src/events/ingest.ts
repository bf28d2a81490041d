import { isDataException, isSerializationFailure } from '../db/availability.ts';
import { int8ToSafeInteger } from '../db/int8.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import { isLedgerError, LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { toEntryView } from '../ledger/entry-view.ts';
import { EVENT_BATCH_MAX, OCCURRED_AT_FUTURE_SKEW_MS } from '../limits.ts';
import { registerRestaurant } from '../restaurants/restaurant.repository.ts';
import { ledgerErrorFromZod } from '../validation.ts';
import {
  type ComparedEventRow,
  type ComparedField,
  findEventsWithEntries,
  insertEventIfNew,
  type PlannedEventOutcome,
  recordPlannedEvents,
  type StoredEventRow,
} from './event.repository.ts';
import type { IngestibleEventType, IngestResult, ProcessorEventInput } from './event.schema.ts';
import { entriesToWrite, type PlannedEntry } from './event-type.ts';
import type { EntryToWrite, LedgerEntryRow } from '../ledger/ledger-entry.repository.ts';
import { DAY_MS } from '../clock.ts';
import { EVENT_REGISTRY, type EventRegistry } from './registry.ts';

/** One event's outcome in a batch: what ingestEvent would have returned, or thrown, for it alone. */
export type BatchItemOutcome = { index: number; event_id: string | null } & (
  | { result: IngestResult; error?: undefined }
  | { error: LedgerError; result?: undefined }
);

/** An event that passed its checks, at its place in the batch. */
interface AcceptedItem {
  index: number;
  event: ProcessorEventInput;
  rawPayload: unknown;
}

/** What ingestion does with a value PostgreSQL refuses: the single route throws it, a batch answers it for that event. */
type RefusedValues = 'throw' | 'answer';

/**
 * Records a processor event and its ledger entries, exactly once, all or nothing: a batch of one.
 *
 * - first delivery of an event_id: writes the event and its entries, `idempotent: false`;
 * - same event_id with the same content: writes nothing, `idempotent: true`;
 * - same event_id with different content: writes nothing, throws EVENT_ID_CONFLICT.
 *
 * The UNIQUE constraint on event_id decides between the three, so concurrent deliveries cannot
 * both write. Also throws VALIDATION_ERROR (occurred_at in the future) and EVENT_INVALID_FEE.
 * One round trip, new or known: see recordPlannedEvents. Payout events, which lock and
 * change a payout, run in a transaction.
 *
 * @param rawPayload the body exactly as the processor sent it, kept beside the parsed fields.
 */
export async function ingestEvent(ctx: LedgerContext, event: ProcessorEventInput, rawPayload: unknown): Promise<IngestResult> {
  checkEventRules(event, ctx.clock(), registryOf(ctx));
  const [outcome] = await ingestAccepted(ctx, [{ index: 0, event, rawPayload }], 'throw');
  if (outcome === undefined) throw new Error(`event ${event.event_id}: no outcome`);
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.result;
}

/**
 * Records a batch of processor events (as sent: each is validated on its own) and returns one
 * outcome per event, in batch order, with the same meaning as ingestEvent for that event alone:
 * recorded, an idempotent replay, EVENT_ID_CONFLICT, or a validation error. One bad event does not
 * block the others. It is the same implementation as ingestEvent, given more events.
 *
 * Throws VALIDATION_ERROR for more than EVENT_BATCH_MAX events, and otherwise only when the
 * database fails; the events recorded before that stay recorded, so sending the batch again is
 * safe (they answer as replays).
 */
export async function ingestEventBatch(ctx: LedgerContext, items: readonly unknown[]): Promise<BatchItemOutcome[]> {
  if (items.length > EVENT_BATCH_MAX) {
    throw new LedgerError('VALIDATION_ERROR', `A batch holds at most ${EVENT_BATCH_MAX} events`, {
      issues: [{ field: 'events', message: `must hold at most ${EVENT_BATCH_MAX} events` }],
    });
  }
  const now = ctx.clock();
  const registry = registryOf(ctx);
  const refused: BatchItemOutcome[] = [];
  const accepted: AcceptedItem[] = [];
  items.forEach((rawPayload, index) => {
    const checked = checkItem(rawPayload, now, registry);
    if (checked instanceof LedgerError) refused.push({ index, event_id: eventIdOf(rawPayload), error: checked });
    else accepted.push({ index, event: checked, rawPayload });
  });
  const outcomes = [...refused, ...(await ingestAccepted(ctx, accepted, 'answer'))];
  return outcomes.sort((a, b) => a.index - b.index);
}

/**
 * The one write path. Events whose whole effect is a fixed list of entries (their type has a
 * `plan`) are written together in one statement; the rest (types that `apply` in a transaction,
 * repeats of an event_id, and what that statement leaves to a transaction) one at a time.
 */
async function ingestAccepted(ctx: LedgerContext, items: readonly AcceptedItem[], refusedValues: RefusedValues): Promise<BatchItemOutcome[]> {
  const registry = registryOf(ctx);
  const seen = new Set<string>();
  const planned: Array<AcceptedItem & { planned: PlannedEntry[] }> = [];
  const alone: AcceptedItem[] = [];
  for (const item of items) {
    const plan = registry.typeOf(item.event).plan;
    const first = !seen.has(item.event.event_id);
    seen.add(item.event.event_id);
    if (first && plan !== undefined) planned.push({ ...item, planned: plan(item.event) });
    else alone.push(item);
  }
  const { outcomes, left } = await writePlanned(ctx, planned, refusedValues);
  for (const item of [...left, ...alone]) outcomes.push(await ingestAlone(ctx, item, refusedValues));
  return outcomes;
}

/** The planned events' outcomes, and the events left to the transactional path (nothing written for them). */
async function writePlanned(
  ctx: LedgerContext,
  items: ReadonlyArray<AcceptedItem & { planned: PlannedEntry[] }>,
  refusedValues: RefusedValues,
): Promise<{ outcomes: BatchItemOutcome[]; left: AcceptedItem[] }> {
  if (items.length === 0) return { outcomes: [], left: [] };
  let recorded: PlannedEventOutcome[];
  try {
    recorded = await recordPlannedEvents(ctx.db, items, ctx.defaultMaturityDays);
  } catch (error) {
    // A lost race (40001) wrote nothing: the transactional path settles it. A value PostgreSQL
    // refuses (validation should have caught it first) fails the whole statement; in a batch,
    // taking the events one at a time finds which one it was.
    if (isSerializationFailure(error) || (isDataException(error) && (items.length > 1 || refusedValues === 'answer'))) {
      return { outcomes: [], left: [...items] };
    }
    throw error;
  }
  const outcomes: BatchItemOutcome[] = [];
  const known: AcceptedItem[] = [];
  const left: AcceptedItem[] = [];
  items.forEach((item, ordinal) => {
    const outcome = recorded[ordinal];
    if (outcome?.kind === 'recorded') outcomes.push(recordedOutcome(item, outcome));
    else if (outcome?.kind === 'stored') outcomes.push(replayOutcome(item, outcome.event, outcome.entries));
    else (outcome?.kind === 'known' ? known : left).push(item);
  });
  outcomes.push(...(await replaysOf(ctx, known)));
  return { outcomes, left };
}

function recordedOutcome(item: AcceptedItem & { planned: PlannedEntry[] }, recorded: PlannedEventOutcome & { kind: 'recorded' }): BatchItemOutcome {
  assertWrittenAsPlanned(item.event.event_id, recorded, entriesToWrite(item.planned, recorded.settings));
  const result = { idempotent: false, event: toEventView(recorded.event), entries: recorded.entries.map(toEntryView) };
  return { index: item.index, event_id: item.event.event_id, result };
}

/**
 * Asserts what the statement wrote is what was asked for, computed again here from the settings it
 * read: an event is all of its entries or none, and the SQL and the transactional path agree.
 */
function assertWrittenAsPlanned(eventId: string, recorded: PlannedEventOutcome & { kind: 'recorded' }, expected: readonly EntryToWrite[]): void {
  const written = recorded.entries;
  const same =
    written.length === expected.length &&
    written.every((entry, i) => {
      const want = expected[i];
      return (
        want !== undefined &&
        entry.entry_type === want.entry_type &&
        int8ToSafeInteger(entry.amount_minor) === want.amount_minor &&
        entry.available_at.getTime() - entry.occurred_at.getTime() === want.matures_after_days * DAY_MS
      );
    });
  if (!same) throw new Error(`event ${eventId}: wrote ${JSON.stringify(written)} but planned ${JSON.stringify(expected)}`);
}

/** Events whose event_id is stored: the recorded event and entries when the content is the same, else EVENT_ID_CONFLICT. */
async function replaysOf(ctx: LedgerContext, known: readonly AcceptedItem[]): Promise<BatchItemOutcome[]> {
  if (known.length === 0) return [];
  const stored = await findEventsWithEntries(ctx.db, known.map((item) => item.event));
  return known.map((item) => {
    const row = stored.get(item.event.event_id);
    // The insert met a conflicting row, so the row exists: rows are never deleted.
    if (row === undefined) throw new Error(`event ${item.event.event_id} conflicted on insert but cannot be read back`);
    return replayOutcome(item, row, row.entries);
  });
}

/** A stored event_id sent again: the recorded event and entries when the content is the same, else EVENT_ID_CONFLICT. */
function replayOutcome({ index, event }: AcceptedItem, row: ComparedEventRow, entries: readonly LedgerEntryRow[]): BatchItemOutcome {
  if (row.differing.length > 0) return { index, event_id: event.event_id, error: eventIdConflict(event.event_id, row.differing) };
  return { index, event_id: event.event_id, result: { idempotent: true, event: toEventView(row), entries: entries.map(toEntryView) } };
}

/** One event in its own transaction: types that lock and change a payout, and whatever the one statement left. */
async function ingestAlone(ctx: LedgerContext, item: AcceptedItem, refusedValues: RefusedValues): Promise<BatchItemOutcome> {
  const { index, event } = item;
  try {
    return { index, event_id: event.event_id, result: await ingestInTransaction(ctx, item) };
  } catch (error) {
    if (isLedgerError(error)) return { index, event_id: event.event_id, error };
    if (refusedValues === 'answer' && isDataException(error)) {
      const refused = new LedgerError('VALIDATION_ERROR', 'A value in the event cannot be stored', {
        issues: [{ field: '(event)', message: 'a value was refused by the database' }],
      });
      return { index, event_id: event.event_id, error: refused };
    }
    throw error;
  }
}

async function ingestInTransaction(ctx: LedgerContext, { event, rawPayload }: AcceptedItem): Promise<IngestResult> {
  const eventType = registryOf(ctx).typeOf(event);
  const replay = await inTransaction(ctx.db, async (trx) => {
    const restaurant = await registerRestaurant(trx, event.restaurant_id, ctx.defaultMaturityDays);
    const stored = await insertEventIfNew(trx, event, rawPayload);
    if (stored === undefined) {
      // Decided inside the transaction, so a conflict rolls back the restaurant it registered.
      const [outcome] = await replaysOf({ ...ctx, db: trx }, [{ index: 0, event, rawPayload }]);
      if (outcome?.error !== undefined) throw outcome.error;
      return outcome?.result;
    }
    const applied = await eventType.apply(trx, { eventPk: stored.id, event, restaurant });
    return {
      idempotent: false,
      event: toEventView(stored),
      entries: applied.entries.map(toEntryView),
      ...(applied.payout !== undefined && { payout: applied.payout }),
      ...(applied.dispute !== undefined && { dispute: applied.dispute }),
    };
  });
  if (replay === undefined) throw new Error(`event ${event.event_id}: no outcome`);
  return replay;
}

export function eventIdConflict(eventId: string, differing: readonly ComparedField[]): LedgerError {
  return new LedgerError('EVENT_ID_CONFLICT', `event ${eventId} was already recorded with different content`, {
    event_id: eventId,
    differing_fields: differing,
  });
}

function registryOf(ctx: LedgerContext): EventRegistry {
  return ctx.eventRegistry ?? EVENT_REGISTRY;
}

function checkItem(rawPayload: unknown, now: Date, registry: EventRegistry): ProcessorEventInput | LedgerError {
  const parsed = registry.inputSchema.safeParse(rawPayload);
  if (!parsed.success) return ledgerErrorFromZod(parsed.error);
  try {
    // The registry's schema names its own types; ProcessorEventInput names the built-in ones.
    const event = parsed.data as ProcessorEventInput;
    checkEventRules(event, now, registry);
    return event;
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

/**
 * The rules an event must keep beyond its schema, checked before anything is written.
 * @throws LedgerError VALIDATION_ERROR (occurred_at in the future), EVENT_INVALID_FEE
 */
export function checkEventRules(event: ProcessorEventInput, now: Date, registry: EventRegistry = EVENT_REGISTRY): void {
  assertNotInFuture(event.occurred_at, now);
  registry.typeOf(event).validate(event);
}

function assertNotInFuture(occurredAt: string, now: Date): void {
  if (Date.parse(occurredAt) > now.getTime() + OCCURRED_AT_FUTURE_SKEW_MS) {
    throw new LedgerError('VALIDATION_ERROR', 'occurred_at is in the future', {
      issues: [{ field: 'occurred_at', message: `must not be more than ${OCCURRED_AT_FUTURE_SKEW_MS / 60_000} minutes ahead of the server clock` }],
    });
  }
}

export function toEventView(row: StoredEventRow): IngestResult['event'] {
  return {
    event_id: row.event_id,
    event_type: row.event_type as IngestibleEventType,
    restaurant_id: row.restaurant_id,
    currency: row.currency,
    amount: int8ToSafeInteger(row.amount_minor),
    fee: int8ToSafeInteger(row.fee_minor),
    occurred_at: row.occurred_at.toISOString(),
    received_at: row.received_at.toISOString(),
  };
}
