import { sql } from 'kysely';

/**
 * The settlement links (payout_id, ledger_entry_id) as tests read them, one row per settled entry as
 * the table payout_settlements held them before settlement frontiers
 * (docs/adr/0006-payout-settlement-frontier.md), written here from the definition rather than from
 * the code under test: a payout settles the entries of its restaurant and currency inside its
 * frontier (id <= settled_through_entry_id, available by its cutoff) and outside the prior one,
 * payout entries aside, and its own payout entry. Use as `FROM (${settlementLinks}) s`.
 */
export const settlementLinks = sql`
  SELECT p.id AS payout_id, le.id AS ledger_entry_id
  FROM payouts p
  JOIN ledger_entries le ON le.restaurant_id = p.restaurant_id AND le.currency = p.currency AND le.entry_type <> 'payout'
    AND le.id <= p.settled_through_entry_id AND le.available_at <= p.cutoff
    AND NOT (le.id <= p.prior_through_entry_id AND le.available_at <= p.prior_cutoff)
  UNION ALL
  SELECT le.payout_id, le.id FROM ledger_entries le WHERE le.entry_type = 'payout'`;
