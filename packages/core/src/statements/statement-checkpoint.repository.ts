import { sql } from 'kysely';
import type { LedgerTransaction } from '../db/database.ts';
import type { Int8Value } from '../db/int8.ts';

export interface StatementCheckpointRow {
  id: Int8Value;
  through_entry_id: Int8Value;
}

/** The latest entry id of (restaurant, currency), or undefined when it has none. */
export async function lastEntryId(trx: LedgerTransaction, restaurantId: string, currency: string): Promise<Int8Value | undefined> {
  const { rows } = await sql<{ id: Int8Value | null }>`
    SELECT MAX(le.id) AS id FROM ledger_entries le WHERE le.restaurant_id = ${restaurantId} AND le.currency = ${currency}`.execute(trx);
  return rows[0]?.id ?? undefined;
}

/** The latest statement checkpoint of (restaurant, currency), the one pages read and the next is built from. */
export async function latestStatementCheckpoint(trx: LedgerTransaction, restaurantId: string, currency: string): Promise<StatementCheckpointRow | undefined> {
  const { rows } = await sql<StatementCheckpointRow>`
    SELECT id, through_entry_id FROM statement_checkpoints
    WHERE restaurant_id = ${restaurantId} AND currency = ${currency}
    ORDER BY through_entry_id DESC
    LIMIT 1`.execute(trx);
  return rows[0];
}

/**
 * Writes the statement checkpoint of (restaurant, currency) through `throughEntryId` from `previous`
 * (latestStatementCheckpoint), so it costs the entries since `previous` and the marks, not the history:
 * 1. each mark of `previous` moves by the entries since it that lie before it in statement order
 *    (late ones), and counts those that landed between it and the next mark;
 * 2. a stretch between two marks that has grown to 2 × `spacing` entries or more (the tail after the
 *    last mark, where new entries land, or a stretch late entries filled) is read again and gets a
 *    mark every `spacing` entries, each with the running sum from the stretch's first mark.
 * Without `previous`, the head mark alone ('-infinity', 0, balance 0) is one stretch over every
 * entry: the first checkpoint reads the whole history once. `throughEntryId` must have been read
 * under lockBalanceForCheckpoint (lastEntryId): then no entry at or below it can still commit, and
 * this may run after the lock is released. Returns what it read and the marks it wrote, or
 * undefined when a concurrent writer already wrote this checkpoint.
 */
export async function insertStatementCheckpoint(
  trx: LedgerTransaction,
  restaurantId: string,
  currency: string,
  throughEntryId: Int8Value,
  previous: StatementCheckpointRow | undefined,
  spacing: number,
): Promise<{ id: Int8Value; entries_read: Int8Value; marks: Int8Value } | undefined> {
  const scope = sql`le.restaurant_id = ${restaurantId} AND le.currency = ${currency}`;
  const through = sql`${String(throughEntryId)}::bigint`;
  // A first checkpoint has no entries "since": its head stretch is read whole in step 2.
  const since = sql`${String(previous?.through_entry_id ?? throughEntryId)}::bigint`;
  const { rows } = await sql<{ id: Int8Value; entries_read: Int8Value; marks: Int8Value }>`
    WITH previous_marks AS (
      SELECT occurred_at, entry_id, balance_before, entries_to_next
      FROM statement_checkpoint_marks WHERE checkpoint_id = ${previous?.id ?? null}::bigint
      UNION ALL
      SELECT '-infinity'::timestamptz, 0::bigint, 0::numeric, ${2 * spacing}::bigint WHERE ${previous?.id ?? null}::bigint IS NULL
    ),
    new_entries AS (
      SELECT le.occurred_at, le.id, le.amount_minor FROM ledger_entries le WHERE ${scope} AND le.id > ${since} AND le.id <= ${through}
    ),
    merged AS (
      SELECT occurred_at, entry_id AS id, true AS is_mark, 0::bigint AS amount_minor, balance_before, entries_to_next FROM previous_marks
      UNION ALL
      SELECT occurred_at, id, false, amount_minor, NULL, NULL FROM new_entries
    ),
    -- Marks and new entries never tie: a mark is an older entry (or the head, before all).
    placed AS (
      SELECT merged.*, SUM(amount_minor) OVER w AS new_before, COUNT(*) FILTER (WHERE is_mark) OVER w AS stretch
      FROM merged
      WINDOW w AS (ORDER BY occurred_at, id ROWS UNBOUNDED PRECEDING)
    ),
    landed AS (SELECT stretch, COUNT(*) AS entries FROM placed WHERE NOT is_mark GROUP BY stretch),
    moved AS (
      SELECT p.stretch, p.occurred_at, p.id AS entry_id, p.balance_before + p.new_before AS balance_before,
             p.entries_to_next + COALESCE(l.entries, 0) AS entries_to_next,
             LEAD(p.occurred_at, 1, 'infinity') OVER m AS next_occurred_at, LEAD(p.id, 1, 0::bigint) OVER m AS next_entry_id
      FROM placed p LEFT JOIN landed l ON l.stretch = p.stretch
      WHERE p.is_mark
      WINDOW m AS (ORDER BY p.occurred_at, p.id)
    ),
    reread AS (
      SELECT m.stretch, e.occurred_at, e.id, ROW_NUMBER() OVER s AS n, COUNT(*) OVER (PARTITION BY m.stretch) AS stretch_entries,
             m.balance_before + COALESCE(SUM(e.amount_minor) OVER (s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS balance_before
      FROM moved m
      CROSS JOIN LATERAL (
        SELECT le.occurred_at, le.id, le.amount_minor FROM ledger_entries le
        WHERE ${scope} AND le.id <= ${through}
          AND (le.occurred_at, le.id) >= (m.occurred_at, m.entry_id) AND (le.occurred_at, le.id) < (m.next_occurred_at, m.next_entry_id)
      ) AS e
      WHERE m.entries_to_next >= ${2 * spacing}
      WINDOW s AS (PARTITION BY m.stretch ORDER BY e.occurred_at, e.id)
    ),
    cut AS (SELECT stretch, MAX(stretch_entries) AS entries FROM reread GROUP BY stretch),
    marks AS (
      SELECT m.occurred_at, m.entry_id, m.balance_before, COALESCE(LEAST(${spacing}, c.entries), m.entries_to_next) AS entries_to_next
      FROM moved m LEFT JOIN cut c ON c.stretch = m.stretch
      UNION ALL
      SELECT occurred_at, id, balance_before, LEAST(${spacing}, stretch_entries - n + 1)
      FROM reread WHERE n > 1 AND (n - 1) % ${spacing} = 0
    ),
    checkpoint AS (
      INSERT INTO statement_checkpoints (restaurant_id, currency, through_entry_id, entries_read)
      SELECT ${restaurantId}, ${currency}, ${through}, (SELECT COUNT(*) FROM new_entries) + (SELECT COUNT(*) FROM reread)
      ON CONFLICT (restaurant_id, currency, through_entry_id) DO NOTHING
      RETURNING id, entries_read
    ),
    written AS (
      INSERT INTO statement_checkpoint_marks (checkpoint_id, occurred_at, entry_id, balance_before, entries_to_next)
      SELECT checkpoint.id, marks.occurred_at, marks.entry_id, marks.balance_before, marks.entries_to_next FROM checkpoint, marks
      RETURNING 1
    )
    SELECT checkpoint.id, checkpoint.entries_read, (SELECT COUNT(*) FROM written) AS marks FROM checkpoint`.execute(trx);
  return rows[0];
}

/** Deletes the statement checkpoints of (restaurant, currency) older than `throughEntryId`, with their marks: only the latest is read. */
export async function deleteStatementCheckpointsBefore(trx: LedgerTransaction, restaurantId: string, currency: string, throughEntryId: Int8Value): Promise<void> {
  await sql`
    DELETE FROM statement_checkpoints
    WHERE restaurant_id = ${restaurantId} AND currency = ${currency} AND through_entry_id < ${String(throughEntryId)}::bigint`.execute(trx);
}
