import type { LedgerTransaction } from '../../db/database.ts';
import type { EntryToWrite, LedgerEntryRow } from '../../ledger/ledger-entry.repository.ts';
import { insertEventEntries } from '../../ledger/ledger-entry.repository.ts';
import type { EntryType, IngestibleEventType, PayoutEffect, ProcessorEventInput } from '../event.schema.ts';

/**
 * One ledger entry an event will write, before it has an id. When it becomes available is said, not
 * computed: the restaurant's maturity window is read where the entry is written (in the same SQL
 * statement on the single-event path), so a plan needs nothing but the event.
 */
export interface PlannedEntry {
  entry_type: EntryType;
  /** Signed: credits to the restaurant positive, debits negative. */
  amount_minor: number;
  /** `after_maturity_window`: available_at = occurred_at + the restaurant's maturity days; `at_once`: occurred_at. */
  available: 'after_maturity_window' | 'at_once';
}

/** The entries to write once the restaurant's maturity window is known. */
export function withMaturity(planned: readonly PlannedEntry[], maturityDays: number): EntryToWrite[] {
  return planned.map(({ entry_type, amount_minor, available }) => ({
    entry_type,
    amount_minor,
    matures_after_days: available === 'after_maturity_window' ? maturityDays : 0,
  }));
}

/** The event as recorded, handed to its handler inside the event's transaction. */
export interface RecordedEvent {
  eventPk: string | number | bigint;
  event: ProcessorEventInput;
  restaurant: { maturityDays: number };
}

export interface AppliedEvent {
  entries: LedgerEntryRow[];
  /** For payout_* events: what the event did to the payout it names. */
  payout?: PayoutEffect;
}

export interface EventHandler {
  /** Throws a LedgerError when the event breaks a rule of its type. Runs before anything is written. */
  validate(event: ProcessorEventInput): void;
  /** Writes the event's effects in the event's own transaction: all of them or, on a throw, none. */
  apply(trx: LedgerTransaction, recorded: RecordedEvent): Promise<AppliedEvent>;
  /**
   * Present when the whole effect is a fixed list of entries, known without reading anything:
   * such events are written in one statement (single-event ingestion) or many at a time (batch
   * ingestion). Others are applied one by one, in a transaction.
   */
  plan?: (event: ProcessorEventInput) => PlannedEntry[];
}

export type EventHandlerMap = Readonly<Record<IngestibleEventType, EventHandler>>;

/** A handler whose whole effect is a fixed list of entries (charges, refunds). */
export function entriesHandler(spec: {
  validate?: (event: ProcessorEventInput) => void;
  plan: (event: ProcessorEventInput) => PlannedEntry[];
}): EventHandler {
  return {
    validate: spec.validate ?? (() => {}),
    plan: spec.plan,
    apply: async (trx, { eventPk, event, restaurant }) => ({
      entries: await insertEventEntries(
        trx,
        { eventPk, restaurantId: event.restaurant_id, currency: event.currency, occurredAt: event.occurred_at },
        withMaturity(spec.plan(event), restaurant.maturityDays),
      ),
    }),
  };
}

/** A fee is a separate debit, written only when there is one. */
export function feeEntry(fee: number, available: PlannedEntry['available']): PlannedEntry[] {
  return fee > 0 ? [{ entry_type: 'fee', amount_minor: -fee, available }] : [];
}
