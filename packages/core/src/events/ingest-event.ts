import { isSerializationFailure } from '../db/availability.ts';
import type { LedgerDb } from '../db/database.ts';
import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import type { LedgerEntryRow } from '../ledger/ledger-entry.repository.ts';
import { OCCURRED_AT_FUTURE_SKEW_MS } from '../limits.ts';
import { registerRestaurant } from '../restaurants/restaurant.repository.ts';
import {
  type ComparedField,
  findEventWithEntries,
  insertEventIfNew,
  type PlannedEventOutcome,
  recordPlannedEvent,
  type StoredEventRow,
} from './event.repository.ts';
import type { IngestibleEventType, IngestResult, LedgerEntryView, ProcessorEventInput } from './event.schema.ts';
import type { EventHandler, PlannedEntry } from './handlers/event-handler.ts';
import { EVENT_HANDLERS } from './handlers/index.ts';

/**
 * Records a processor event and its ledger entries, exactly once, all or nothing.
 *
 * - first delivery of an event_id: writes the event and its entries, `idempotent: false`;
 * - same event_id with the same content: writes nothing, `idempotent: true`;
 * - same event_id with different content: writes nothing, throws EVENT_ID_CONFLICT.
 *
 * The UNIQUE constraint on event_id decides between the three, so concurrent deliveries cannot
 * both write. Also throws VALIDATION_ERROR (occurred_at in the future) and EVENT_INVALID_FEE.
 *
 * Charges and refunds (handlers with a plan) take one round trip when new, two when known: see
 * recordPlannedEvent. Payout events, which lock and change a payout, run in a transaction.
 *
 * @param rawPayload the body exactly as the processor sent it, kept beside the parsed fields.
 */
export async function ingestEvent(
  ctx: LedgerContext,
  event: ProcessorEventInput,
  rawPayload: unknown,
): Promise<IngestResult> {
  const handler = EVENT_HANDLERS[event.event_type];
  checkEventRules(event, ctx.clock());
  if (handler.plan !== undefined) {
    const result = await ingestInOneStatement(ctx, event, rawPayload, handler.plan(event));
    if (result !== undefined) return result;
  }
  return ingestInTransaction(ctx, handler, event, rawPayload);
}

/** undefined when the statement lost a race that only the transactional path settles (nothing was written). */
async function ingestInOneStatement(
  ctx: LedgerContext,
  event: ProcessorEventInput,
  rawPayload: unknown,
  planned: readonly PlannedEntry[],
): Promise<IngestResult | undefined> {
  let outcome: PlannedEventOutcome;
  try {
    outcome = await recordPlannedEvent(ctx.db, { event, rawPayload }, planned, ctx.defaultMaturityDays);
  } catch (error) {
    if (isSerializationFailure(error)) return undefined;
    throw error;
  }
  if (outcome.kind === 'restaurant_unseen') return undefined;
  if (outcome.kind === 'known') return replayOf(ctx.db, event);
  // Assert what was asked for came back: an event is all of its entries or none.
  if (outcome.entries.length !== planned.length) {
    throw new Error(`event ${event.event_id}: ${outcome.entries.length} of ${planned.length} entries written`);
  }
  return { idempotent: false, event: toEventView(outcome.event), entries: outcome.entries.map(toEntryView) };
}

async function ingestInTransaction(
  ctx: LedgerContext,
  handler: EventHandler,
  event: ProcessorEventInput,
  rawPayload: unknown,
): Promise<IngestResult> {
  return inTransaction(ctx.db, async (trx) => {
    const restaurant = await registerRestaurant(trx, event.restaurant_id, ctx.defaultMaturityDays);
    const stored = await insertEventIfNew(trx, event, rawPayload);
    if (stored === undefined) return replayOf(trx, event);
    const applied = await handler.apply(trx, { eventPk: stored.id, event, restaurant });
    return {
      idempotent: false,
      event: toEventView(stored),
      entries: applied.entries.map(toEntryView),
      ...(applied.payout !== undefined && { payout: applied.payout }),
    };
  });
}

/** A known event_id: the recorded event and entries when the content is the same, else EVENT_ID_CONFLICT. */
async function replayOf(db: LedgerDb, event: ProcessorEventInput): Promise<IngestResult> {
  const existing = await findEventWithEntries(db, event);
  if (existing === undefined) {
    // The insert met a conflicting row, so the row exists: rows are never deleted.
    throw new Error(`event ${event.event_id} conflicted on insert but cannot be read back`);
  }
  if (existing.differing.length > 0) throw eventIdConflict(event.event_id, existing.differing);
  return { idempotent: true, event: toEventView(existing), entries: existing.entries.map(toEntryView) };
}

export function eventIdConflict(eventId: string, differing: readonly ComparedField[]): LedgerError {
  return new LedgerError('EVENT_ID_CONFLICT', `event ${eventId} was already recorded with different content`, {
    event_id: eventId,
    differing_fields: differing,
  });
}

/**
 * The rules an event must keep beyond its schema, checked before anything is written.
 * @throws LedgerError VALIDATION_ERROR (occurred_at in the future), EVENT_INVALID_FEE
 */
export function checkEventRules(event: ProcessorEventInput, now: Date): void {
  assertNotInFuture(event.occurred_at, now);
  EVENT_HANDLERS[event.event_type].validate(event);
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

export function toEntryView(row: LedgerEntryRow): LedgerEntryView {
  return {
    entry_id: int8ToId(row.id),
    entry_type: row.entry_type as LedgerEntryView['entry_type'],
    amount: int8ToSafeInteger(row.amount_minor),
    occurred_at: row.occurred_at.toISOString(),
    available_at: row.available_at.toISOString(),
  };
}
