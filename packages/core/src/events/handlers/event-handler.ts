import type { EntryType, IngestibleEventType, ProcessorEventInput } from '../event.schema.ts';

/** One ledger entry an event will write, before it has an id. */
export interface PlannedEntry {
  entry_type: EntryType;
  /** Signed: credits to the restaurant positive, debits negative. */
  amount_minor: number;
  /** available_at = occurred_at + this many days (0: available at once). */
  matures_after_days: number;
}

export interface EventHandler {
  /** Throws a LedgerError when the event breaks a rule of its type. Runs before anything is written. */
  validate(event: ProcessorEventInput): void;
  /** The entries the event writes, all in one transaction with the event itself. */
  plan(event: ProcessorEventInput, restaurant: { maturityDays: number }): PlannedEntry[];
}

export type EventHandlerMap = Readonly<Record<IngestibleEventType, EventHandler>>;

/** A fee is a separate debit, written only when there is one. */
export function feeEntry(fee: number, maturesAfterDays: number): PlannedEntry[] {
  return fee > 0 ? [{ entry_type: 'fee', amount_minor: -fee, matures_after_days: maturesAfterDays }] : [];
}
