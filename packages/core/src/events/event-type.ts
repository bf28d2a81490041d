import type { Int8Value } from '../db/int8.ts';
import type { LedgerTransaction } from '../db/database.ts';
import type { EntryTypeDefinition } from '../ledger/entry-types.ts';
import { type EntryToWrite, insertEventEntries, type LedgerEntryRow } from '../ledger/ledger-entry.repository.ts';
import type { DisputeEffect } from '../disputes/dispute.schema.ts';
import type { EntryType, PayoutEffect, ProcessorEventInput } from './event.schema.ts';

/**
 * One ledger entry an event will write, before it has an id. When it becomes available, and for a
 * reserve its amount, are said, not computed: the restaurant's settings are read where the entry is
 * written (in the same SQL statement), so a plan needs nothing but the event.
 */
export interface PlannedEntry {
  entry_type: EntryType;
  /** Signed: credits to the restaurant positive, debits negative. With `share`, the amount it is a share of. */
  amount_minor: number;
  /**
   * `at_once`: available_at = occurred_at; `after_maturity_window`: + the restaurant's maturity days;
   * `after_reserve_window`: + its maturity days + its reserve_days.
   */
  available: 'after_maturity_window' | 'after_reserve_window' | 'at_once';
  /**
   * `reserve`: the entry is the restaurant's reserve share of amount_minor, sign × floor(|amount_minor| ×
   * reserve_percent / 10000), and is not written when that is 0 (no reserve).
   */
  share?: 'reserve';
}

/** The restaurant's settings an event's entries are written with, as the writing statement or transaction sees them. */
export interface EntrySettings {
  maturityDays: number;
  /** Basis points (0–10000) of a charge held in reserve. */
  reservePercent: number;
  reserveDays: number;
}

/** sign × floor(|amount| × bps / 10000), exactly (the product can exceed 2^53). */
export function reserveShare(amount: number, basisPoints: number): number {
  const share = Number((BigInt(Math.abs(amount)) * BigInt(basisPoints)) / 10_000n);
  return amount < 0 ? -share : share;
}

/** Days from occurred_at to available_at for an entry planned `available`. */
function daysUntilAvailable(available: PlannedEntry['available'], settings: EntrySettings): number {
  if (available === 'at_once') return 0;
  return available === 'after_maturity_window' ? settings.maturityDays : settings.maturityDays + settings.reserveDays;
}

/**
 * The entries to write once the restaurant's settings are known: the transactional path's copy of
 * what recordPlannedEvents computes in SQL (the two are compared on every statement-written event).
 */
export function entriesToWrite(planned: readonly PlannedEntry[], settings: EntrySettings): EntryToWrite[] {
  return planned.flatMap(({ entry_type, amount_minor, available, share }) => {
    const amount = share === 'reserve' ? reserveShare(amount_minor, settings.reservePercent) : amount_minor;
    if (share !== undefined && amount === 0) return [];
    return [{ entry_type, amount_minor: amount, matures_after_days: daysUntilAvailable(available, settings) }];
  });
}

/** The event as recorded, handed to its type's `apply` inside the event's transaction. */
export interface RecordedEvent {
  eventPk: Int8Value;
  event: ProcessorEventInput;
  restaurant: EntrySettings;
}

export interface AppliedEvent {
  entries: LedgerEntryRow[];
  /** For events that settle a payout: what the event did to the payout it names. */
  payout?: PayoutEffect;
  /** For dispute events: the dispute's state after the event. */
  dispute?: DisputeEffect;
}

/**
 * The integrity report's (Q4) rule for an event type:
 * - `entries_sum`: its entries sum to amount × `amount` + fee × `fee` (EVENT_ENTRIES_MISMATCH,
 *   EVENT_WITHOUT_ENTRIES); the entry types in `nets_to_zero`, when it writes them, sum to zero
 *   among themselves and each is available no earlier than the one before it (ENTRIES_NOT_NETTED);
 * - `names_payout`: it names a payout in metadata.payout_id, which must exist and match
 *   (PAYOUT_EVENT_UNMATCHED), and must not be `contradicted_by` that status (PAYOUT_EVENT_CONTRADICTED).
 */
export type IntegrityRule =
  | { kind: 'entries_sum'; amount: -1 | 0 | 1; fee: -1 | 0 | 1; nets_to_zero?: readonly [EntryType, EntryType] }
  | { kind: 'names_payout'; contradicted_by: 'paid' | 'failed' };

/** What an event type is, in one place: everything the write paths, the database and Q4 need of it. */
export interface EventTypeDefinition<T extends string = string> {
  event_type: T;
  /** The entry types it may write, each with its sign (see ledger/entry-types.ts). */
  entries: readonly EntryTypeDefinition[];
  /** What it does to payouts: `none`, or it `settles` the payout it names (paid or failed). */
  payouts: 'none' | 'settles';
  integrity: IntegrityRule;
  /** Throws a LedgerError when the event breaks a rule of its type. Runs before anything is written. */
  validate(event: ProcessorEventInput): void;
  /**
   * Present when the whole effect is a fixed list of entries, known without reading anything:
   * such events are written in one statement with any others of a batch (see ingest.ts).
   */
  plan?: (event: ProcessorEventInput) => PlannedEntry[];
  /** Writes the event's effects in the event's own transaction: all of them or, on a throw, none. */
  apply(trx: LedgerTransaction, recorded: RecordedEvent): Promise<AppliedEvent>;
}

/** An event type whose whole effect is a fixed list of entries (charges, refunds). */
export function entriesEventType<const T extends string>(spec: {
  event_type: T;
  entries: readonly EntryTypeDefinition[];
  integrity: IntegrityRule;
  validate?: (event: ProcessorEventInput) => void;
  plan: (event: ProcessorEventInput) => PlannedEntry[];
}): EventTypeDefinition<T> {
  return {
    event_type: spec.event_type,
    entries: spec.entries,
    payouts: 'none',
    integrity: spec.integrity,
    validate: spec.validate ?? (() => {}),
    plan: spec.plan,
    // The transactional path, for the rare race the one statement leaves to it (see ingest.ts).
    apply: async (trx, { eventPk, event, restaurant }) => ({
      entries: await insertEventEntries(
        trx,
        { eventPk, restaurantId: event.restaurant_id, currency: event.currency, occurredAt: event.occurred_at },
        entriesToWrite(spec.plan(event), restaurant),
      ),
    }),
  };
}

/** A fee is a separate debit, written only when there is one. */
export function feeEntry(fee: number, available: PlannedEntry['available']): PlannedEntry[] {
  return fee > 0 ? [{ entry_type: 'fee', amount_minor: -fee, available }] : [];
}
