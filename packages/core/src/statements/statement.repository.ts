import { sql } from 'kysely';
import type { LedgerDb } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';

/** Larger than any entry id: a statement without a checkpoint "covers" every entry from the head. */
const ENTRY_ID_MAX = '9223372036854775807';

export interface StatementRow {
  id: Int8Value;
  entry_type: string;
  amount_minor: Int8Value;
  occurred_at: Date;
  available_at: Date;
  event_id: string | null;
  payout_id: Int8Value | null;
  running_balance: Int8Value;
}

/** A place in statement order (occurred_at, id): a page starts just after it, its opening balance counts up to it. */
export interface StatementPosition {
  occurredAt: string;
  id: string;
}

/**
 * One page of a statement in its stable order (occurred_at, id): the entries after `after` (all of
 * them when absent) that occurred by `to`, each with its running balance: `opening` (the sum of
 * every entry up to `after`, statementOpening) plus the page's entries up to it.
 *
 * Prepared (PREPARED_MARKER): the bounds are plain parameters with no `IS NULL OR` branches, so the
 * generic plan PostgreSQL keeps is the same index range scan of ledger_entries_balance_idx, starting
 * at `after`, as the plan for any one value.
 */
export async function statementPage(
  db: LedgerDb,
  filter: { restaurantId: string; currency: string; to?: Date; after?: StatementPosition },
  limit: number,
  opening: Int8Value,
): Promise<StatementRow[]> {
  const after = filter.after;
  const { rows } = await sql<StatementRow>`/* prepared */
    WITH page AS (
      SELECT le.id, le.entry_type, le.amount_minor, le.occurred_at, le.available_at, pe.event_id, le.payout_id
      FROM ledger_entries le LEFT JOIN processor_events pe ON pe.id = le.processor_event_id
      WHERE le.restaurant_id = ${filter.restaurantId} AND le.currency = ${filter.currency}
        AND (le.occurred_at, le.id) > (COALESCE(${after?.occurredAt ?? null}::timestamptz, '-infinity'), COALESCE(${after?.id ?? null}::bigint, 0))
        AND le.occurred_at <= COALESCE(${filter.to ?? null}::timestamptz, 'infinity')
      ORDER BY le.occurred_at, le.id
      LIMIT ${limit}
    )
    SELECT page.*, ${String(opening)}::numeric + SUM(page.amount_minor) OVER (ORDER BY page.occurred_at, page.id) AS running_balance
    FROM page
    ORDER BY page.occurred_at, page.id`.execute(db);
  return rows;
}

export interface StatementOpeningRow {
  /** Sum of every entry of (restaurant, currency) at or before the position, in statement order. */
  balance: Int8Value;
  /** Entries read beyond the checkpoint's mark (every entry up to the position without a checkpoint): what it cost. */
  entries_read: Int8Value;
  /** Of those, the entries no checkpoint covers: what a new checkpoint would save. */
  entries_since: Int8Value;
}

/**
 * The running balance at `upTo`: the sum of every entry at or before it in (occurred_at, id) order
 * (docs/adr/0007-statement-checkpoints.md). It starts from the nearest mark at or before `upTo` of
 * the latest statement checkpoint of (restaurant, currency), and adds
 * - the covered entries (id <= through_entry_id) from the mark up to `upTo`: a range of
 *   ledger_entries_balance_idx, at most a few STATEMENT_CHECKPOINT_SPACING entries;
 * - every entry the checkpoint does not cover (id > through_entry_id) that lies at or before
 *   `upTo`, new and late ones alike: a range of ledger_entries_since_idx, as long as the activity
 *   since the checkpoint.
 * Without a checkpoint the mark is the head (-infinity, 0) covering everything: the plain sum up to
 * `upTo`, as long as the history before it. Only the latest checkpoint: with an older one every
 * entry inserted since would have to be read (and the writer deletes older ones).
 *
 * Prepared (PREPARED_MARKER): the generic plan is the index-only plan above, the mark's values
 * feeding the two range scans as runtime keys. The uncovered entries are read in a subquery fenced
 * by OFFSET 0, so that the plan scans them by id and filters by position, rather than reading every
 * entry before the position to find the few new ones.
 */
export async function statementOpening(db: LedgerDb, restaurantId: string, currency: string, upTo: StatementPosition): Promise<StatementOpeningRow> {
  const scope = sql`le.restaurant_id = ${restaurantId} AND le.currency = ${currency}`;
  const position = sql`(${upTo.occurredAt}::timestamptz, ${upTo.id}::bigint)`;
  const { rows } = await sql<StatementOpeningRow>`/* prepared */
    WITH mark AS (
      SELECT COALESCE(m.through_entry_id, ${ENTRY_ID_MAX}::bigint) AS through_entry_id,
             COALESCE(m.occurred_at, '-infinity') AS occurred_at, COALESCE(m.entry_id, 0) AS entry_id,
             COALESCE(m.balance_before, 0) AS balance_before, m.through_entry_id IS NOT NULL AS found
      FROM (SELECT) AS one
      LEFT JOIN (
        SELECT c.through_entry_id, m.occurred_at, m.entry_id, m.balance_before
        FROM statement_checkpoints c
        CROSS JOIN LATERAL (
          SELECT m.occurred_at, m.entry_id, m.balance_before FROM statement_checkpoint_marks m
          WHERE m.checkpoint_id = c.id AND (m.occurred_at, m.entry_id) <= ${position}
          ORDER BY m.occurred_at DESC, m.entry_id DESC
          LIMIT 1
        ) AS m
        WHERE c.restaurant_id = ${restaurantId} AND c.currency = ${currency}
        ORDER BY c.through_entry_id DESC
        LIMIT 1
      ) AS m ON true
    )
    SELECT mark.balance_before + covered.total + since.total AS balance,
           covered.entries + since.entries AS entries_read,
           CASE WHEN mark.found THEN since.entries ELSE covered.entries END AS entries_since
    FROM mark
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(le.amount_minor), 0) AS total, COUNT(*) AS entries
      FROM ledger_entries le
      WHERE ${scope} AND (le.occurred_at, le.id) >= (mark.occurred_at, mark.entry_id) AND (le.occurred_at, le.id) <= ${position}
        AND le.id <= mark.through_entry_id
    ) AS covered
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(s.amount_minor) FILTER (WHERE (s.occurred_at, s.id) <= ${position}), 0) AS total, COUNT(*) AS entries
      FROM (
        SELECT le.occurred_at, le.id, le.amount_minor FROM ledger_entries le
        WHERE ${scope} AND le.id > mark.through_entry_id
        OFFSET 0
      ) AS s
    ) AS since`.execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('an aggregate query returned no row');
  return row;
}
