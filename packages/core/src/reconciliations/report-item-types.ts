import type { ReportItemType } from './reconciliation.schema.ts';

/**
 * Which report type (the `type` column of a settlement report) covers each ledger entry type a
 * payout settles: the one table the item-level matching reads (docs/reconciliation.md). A new
 * entry type that a processor reports is one line here. Entry types not listed (`payout_reversal`:
 * money of a failed payout paid again, which no processor row describes) still count in the
 * payout's amount, and show as items the report lacks, named by their entry type.
 *
 * The dispute and reserve entry types are listed ahead of their event types: once those land, their
 * entries reconcile with no change here.
 */
export const REPORT_TYPE_OF_ENTRY: Readonly<Record<string, ReportItemType>> = {
  sale: 'charge',
  // A reserve is part of its charge's settlement: held back with the sale, paid with its release.
  reserve_hold: 'charge',
  reserve_release: 'charge',
  refund: 'refund',
  fee: 'fee',
  dispute_hold: 'dispute',
  dispute_fee: 'dispute',
  dispute_release: 'dispute',
  chargeback: 'dispute',
};

/** The type an entry is compared under: its report type, or its own entry type when none covers it. */
export function reportTypeOf(entryType: string): string {
  return Object.hasOwn(REPORT_TYPE_OF_ENTRY, entryType) ? (REPORT_TYPE_OF_ENTRY[entryType] ?? entryType) : entryType;
}
