/**
 * What the ledger knows of an entry type: the sign every entry of it carries, and what it belongs
 * to. The database's CHECK constraints on ledger_entries hold the same facts (see the migration
 * 2025-12-07T0000-event-type-registry and docs/adr/0003-event-type-registry.md); a test keeps the two equal.
 */
export interface EntryTypeDefinition<T extends string = string> {
  entry_type: T;
  /** +1: a credit to the restaurant (amount_minor > 0); -1: a debit (amount_minor < 0). */
  sign: 1 | -1;
  /** What an entry of this type names: its processor event, its payout, or both. */
  source: 'event' | 'payout' | 'event_and_payout';
}

function entryType<const T extends string>(definition: EntryTypeDefinition<T>): EntryTypeDefinition<T> {
  return definition;
}

export const SALE_ENTRY = entryType({ entry_type: 'sale', sign: 1, source: 'event' });
export const FEE_ENTRY = entryType({ entry_type: 'fee', sign: -1, source: 'event' });
export const REFUND_ENTRY = entryType({ entry_type: 'refund', sign: -1, source: 'event' });
/** Written by payout runs, not by an event: the money a payout takes. */
export const PAYOUT_ENTRY = entryType({ entry_type: 'payout', sign: -1, source: 'payout' });
export const PAYOUT_REVERSAL_ENTRY = entryType({ entry_type: 'payout_reversal', sign: 1, source: 'event_and_payout' });
/** Disputes (docs/disputes.md): the disputed amount held, the processor's dispute fee, the hold given back, the loss. */
export const DISPUTE_HOLD_ENTRY = entryType({ entry_type: 'dispute_hold', sign: -1, source: 'event' });
export const DISPUTE_FEE_ENTRY = entryType({ entry_type: 'dispute_fee', sign: -1, source: 'event' });
export const DISPUTE_RELEASE_ENTRY = entryType({ entry_type: 'dispute_release', sign: 1, source: 'event' });
export const CHARGEBACK_ENTRY = entryType({ entry_type: 'chargeback', sign: -1, source: 'event' });
/**
 * A rolling reserve (docs/settlement-settings.md): a share of a charge held back when its sale
 * matures, and given back reserve_days later. Both belong to the charge's event and net to zero.
 */
export const RESERVE_HOLD_ENTRY = entryType({ entry_type: 'reserve_hold', sign: -1, source: 'event' });
export const RESERVE_RELEASE_ENTRY = entryType({ entry_type: 'reserve_release', sign: 1, source: 'event' });
