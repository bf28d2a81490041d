import { int8ToId, int8ToSafeInteger } from '../db/int8.ts';
import type { LedgerEntryView } from '../events/event.schema.ts';
import type { LedgerEntryRow } from './ledger-entry.repository.ts';

/** An entry as the API shows it: ids as strings, amounts as safe integers, instants in ISO-8601. */
export function toEntryView(row: LedgerEntryRow): LedgerEntryView {
  return {
    entry_id: int8ToId(row.id),
    entry_type: row.entry_type as LedgerEntryView['entry_type'],
    amount: int8ToSafeInteger(row.amount_minor),
    occurred_at: row.occurred_at.toISOString(),
    available_at: row.available_at.toISOString(),
  };
}
