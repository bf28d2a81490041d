import { type Kysely, sql } from 'kysely';

/**
 * Statement checkpoints, so a statement page's opening balance costs a few thousand entries, not
 * its position in the history (docs/adr/0007-statement-checkpoints.md).
 *
 * A statement checkpoint of (restaurant, currency) covers the entries with id <= through_entry_id,
 * exactly as a balance checkpoint does (migration 2025-12-05T0000): it is written under the same
 * exclusive advisory lock of the (restaurant, currency)'s bucket, which every insert takes shared
 * before it draws its id, so no entry at or below through_entry_id can commit after it. Its marks
 * are positions in statement order (occurred_at, entry_id), about every
 * STATEMENT_CHECKPOINT_SPACING covered entries, each with the sum of the covered entries before it.
 * The first mark of a checkpoint is the head ('-infinity', 0), before every entry, with 0.
 *
 * A checkpoint is written whole in one transaction and replaced whole by the next one (the older
 * is deleted with its marks: a page read without it is the same number, only computed from further
 * back). Marks are never edited. Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE statement_checkpoints (
      id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      restaurant_id    TEXT NOT NULL REFERENCES restaurants (id) ON DELETE RESTRICT,
      currency         TEXT NOT NULL CONSTRAINT statement_checkpoints_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
      through_entry_id BIGINT NOT NULL CONSTRAINT statement_checkpoints_through_positive CHECK (through_entry_id > 0),
      entries_read     BIGINT NOT NULL,  -- what writing it cost: entries read beyond the previous checkpoint
      created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
      -- The latest checkpoint of (restaurant, currency) in one index probe.
      CONSTRAINT statement_checkpoints_once UNIQUE (restaurant_id, currency, through_entry_id)
    )`.execute(db);
  await sql`
    CREATE TABLE statement_checkpoint_marks (
      checkpoint_id   BIGINT NOT NULL REFERENCES statement_checkpoints (id) ON DELETE CASCADE,
      occurred_at     TIMESTAMPTZ NOT NULL,
      entry_id        BIGINT NOT NULL CONSTRAINT statement_checkpoint_marks_entry_id CHECK (entry_id >= 0),
      -- Sum of the covered entries before this position; numeric holds sums past the bigint range.
      balance_before  NUMERIC NOT NULL,
      -- Covered entries from this mark (its own entry included) to the next mark: where to add marks.
      entries_to_next BIGINT NOT NULL CONSTRAINT statement_checkpoint_marks_entries_to_next CHECK (entries_to_next >= 0),
      -- The mark at or before a position, in one backward index probe.
      PRIMARY KEY (checkpoint_id, occurred_at, entry_id) INCLUDE (balance_before)
    )`.execute(db);
  await sql`
    CREATE TRIGGER statement_checkpoints_no_update BEFORE UPDATE ON statement_checkpoints
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  await sql`
    CREATE TRIGGER statement_checkpoint_marks_no_update BEFORE UPDATE ON statement_checkpoint_marks
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE statement_checkpoint_marks`.execute(db);
  await sql`DROP TABLE statement_checkpoints`.execute(db);
}
