import { type Kysely, sql } from 'kysely';

/**
 * Settlement frontiers instead of one payout_settlements row per settled entry
 * (docs/adr/0006-payout-settlement-frontier.md).
 *
 * A payout now records the frontier of its (restaurant, currency) after it: every entry with
 * id <= settled_through_entry_id and available_at <= cutoff is settled, by it or by an earlier
 * payout. It also records the frontier before it (prior_payout_id, prior_through_entry_id,
 * prior_cutoff: the previous payout's, or (0, -infinity) for the first), so that what it settles is
 * the difference: the entries inside its frontier and outside the prior one, payout entries left
 * out (each is settled by its own payout, through ledger_entries.payout_id). The database keeps
 * those differences disjoint, so an entry is settled at most once:
 * - the payouts of one (restaurant, currency) form one chain: one first payout (a unique partial
 *   index), at most one successor each (UNIQUE prior_payout_id), the prior older than the payout;
 * - the foreign key (prior_payout_id, restaurant_id, currency, prior_through_entry_id, prior_cutoff)
 *   makes the recorded prior frontier the prior payout's real one, in the same restaurant and
 *   currency; a CHECK makes each frontier contain the one before it.
 * Two runs racing to pay the same restaurant name the same prior: the second insert fails.
 *
 * Existing payouts are converted in id order per (restaurant, currency): a payout's frontier is the
 * greatest entry id it or an earlier payout settled, and its cutoff. The conversion is then checked
 * entry by entry against payout_settlements; if any payout's entries differ (an entry committed late
 * inside an earlier payout's range, which the frontier would count as settled although it was never
 * paid), the migration stops and changes nothing. Once equal, the links carry no more information
 * than the frontiers, and payout_settlements is dropped (down() writes it back from them).
 *
 * A small partial index of payout entries lets runs take them back out of a frontier's sum without
 * reading the heap; it holds one row per payout, so ingestion does not maintain it.
 * Frozen in time: this file never imports application code.
 */
// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE payouts
      ADD COLUMN prior_payout_id BIGINT NULL,
      ADD COLUMN prior_through_entry_id BIGINT NOT NULL DEFAULT 0,
      ADD COLUMN prior_cutoff TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
      ADD COLUMN settled_through_entry_id BIGINT NULL`.execute(db);
  await convertExistingPayouts(db);
  await sql`ALTER TABLE payouts ALTER COLUMN prior_through_entry_id DROP DEFAULT, ALTER COLUMN prior_cutoff DROP DEFAULT`.execute(db);
  await sql`ALTER TABLE payouts ALTER COLUMN settled_through_entry_id SET NOT NULL`.execute(db);
  await sql`
    ALTER TABLE payouts
      ADD CONSTRAINT payouts_prior_is_older CHECK (prior_payout_id < id),
      ADD CONSTRAINT payouts_first_from_origin CHECK (
        prior_payout_id IS NOT NULL OR (prior_through_entry_id = 0 AND prior_cutoff = '-infinity')),
      ADD CONSTRAINT payouts_frontier_advances CHECK (
        settled_through_entry_id >= prior_through_entry_id AND cutoff >= prior_cutoff),
      -- The foreign key's target, and the index that finds a (restaurant, currency)'s latest frontier.
      ADD CONSTRAINT payouts_frontier_key UNIQUE (restaurant_id, currency, settled_through_entry_id, cutoff, id),
      ADD CONSTRAINT payouts_one_successor UNIQUE (prior_payout_id)`.execute(db);
  await sql`
    ALTER TABLE payouts ADD CONSTRAINT payouts_prior_frontier
      FOREIGN KEY (prior_payout_id, restaurant_id, currency, prior_through_entry_id, prior_cutoff)
      REFERENCES payouts (id, restaurant_id, currency, settled_through_entry_id, cutoff) ON DELETE RESTRICT`.execute(db);
  await sql`CREATE UNIQUE INDEX payouts_one_first_idx ON payouts (restaurant_id, currency) WHERE prior_payout_id IS NULL`.execute(db);
  await sql`
    CREATE INDEX ledger_entries_payout_entries_idx ON ledger_entries (restaurant_id, currency, id)
      INCLUDE (available_at, amount_minor) WHERE entry_type = 'payout'`.execute(db);
  await guardPayouts(db, true);
  await sql`DROP TABLE payout_settlements`.execute(db);
}

/** Frontiers for the payouts made before this migration, checked against their settlement rows. */
async function convertExistingPayouts(db: Kysely<any>): Promise<void> {
  await sql`
    WITH linked AS (
      SELECT p.id, p.restaurant_id, p.currency, p.cutoff,
        (SELECT MAX(le.id) FROM payout_settlements s JOIN ledger_entries le ON le.id = s.ledger_entry_id
          WHERE s.payout_id = p.id AND le.entry_type <> 'payout') AS max_linked
      FROM payouts p
    ), frontiers AS (
      SELECT id, restaurant_id, currency, cutoff,
        COALESCE(MAX(max_linked) OVER (PARTITION BY restaurant_id, currency ORDER BY id ROWS UNBOUNDED PRECEDING), 0) AS through
      FROM linked
    ), chained AS (
      SELECT id, through,
        LAG(id) OVER chain AS prior_id, LAG(through) OVER chain AS prior_through, LAG(cutoff) OVER chain AS prior_cutoff
      FROM frontiers
      WINDOW chain AS (PARTITION BY restaurant_id, currency ORDER BY id)
    )
    UPDATE payouts p SET
      settled_through_entry_id = c.through,
      prior_payout_id = c.prior_id,
      prior_through_entry_id = COALESCE(c.prior_through, 0),
      prior_cutoff = COALESCE(c.prior_cutoff, '-infinity')
    FROM chained c
    WHERE c.id = p.id`.execute(db);
  await sql`
    DO $$
    DECLARE differing TEXT;
    BEGIN
      WITH by_frontier AS (
        SELECT p.id AS payout_id, le.id AS entry_id
        FROM payouts p
        JOIN ledger_entries le ON le.restaurant_id = p.restaurant_id AND le.currency = p.currency
          AND le.entry_type <> 'payout'
          AND le.id <= p.settled_through_entry_id AND le.available_at <= p.cutoff
          AND NOT (le.id <= p.prior_through_entry_id AND le.available_at <= p.prior_cutoff)
      ), by_link AS (
        SELECT s.payout_id, s.ledger_entry_id AS entry_id
        FROM payout_settlements s JOIN ledger_entries le ON le.id = s.ledger_entry_id
        WHERE le.entry_type <> 'payout'
      ), differences AS (
        SELECT COALESCE(f.payout_id, l.payout_id) AS payout_id
        FROM by_frontier f FULL JOIN by_link l ON l.payout_id = f.payout_id AND l.entry_id = f.entry_id
        WHERE f.payout_id IS NULL OR l.payout_id IS NULL
        UNION
        -- A payout entry linked to another payout than its own.
        SELECT s.payout_id FROM payout_settlements s JOIN ledger_entries le ON le.id = s.ledger_entry_id
        WHERE le.entry_type = 'payout' AND le.payout_id IS DISTINCT FROM s.payout_id
        UNION
        -- A payout whose cutoff is earlier than an older one's, which a chain cannot hold.
        SELECT id FROM payouts WHERE cutoff < prior_cutoff
      )
      SELECT string_agg(DISTINCT payout_id::text, ', ') INTO differing FROM differences;
      IF differing IS NOT NULL THEN
        RAISE EXCEPTION 'payout_settlements cannot be converted to settlement frontiers: payouts % settle other entries than their frontiers would', differing
          USING HINT = 'see docs/adr/0006-payout-settlement-frontier.md (Migration)';
      END IF;
    END
    $$`.execute(db);
}

/** Amounts, currency, restaurant, as_of, cutoff and now the frontiers never change; status only moves forward. */
async function guardPayouts(db: Kysely<any>, withFrontiers: boolean): Promise<void> {
  const frontier = withFrontiers ? ['prior_payout_id', 'prior_through_entry_id', 'prior_cutoff', 'settled_through_entry_id'] : [];
  const newFrontier = sql.raw(frontier.map((column) => `, NEW.${column}`).join(''));
  const oldFrontier = sql.raw(frontier.map((column) => `, OLD.${column}`).join(''));
  await sql`
    CREATE OR REPLACE FUNCTION payouts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'payouts are never deleted' USING ERRCODE = 'restrict_violation';
      END IF;
      IF (NEW.restaurant_id, NEW.currency, NEW.amount_minor, NEW.as_of, NEW.cutoff, NEW.run_id, NEW.created_at${newFrontier})
         IS DISTINCT FROM
         (OLD.restaurant_id, OLD.currency, OLD.amount_minor, OLD.as_of, OLD.cutoff, OLD.run_id, OLD.created_at${oldFrontier}) THEN
        RAISE EXCEPTION 'payout % is immutable except for its status', OLD.id USING ERRCODE = 'restrict_violation';
      END IF;
      IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'created' AND NEW.status IN ('processing', 'paid', 'failed'))
        OR (OLD.status = 'processing' AND NEW.status IN ('paid', 'failed'))) THEN
        RAISE EXCEPTION 'payout % cannot move from % to %', OLD.id, OLD.status, NEW.status
          USING ERRCODE = 'restrict_violation';
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
}

// Kysely<any> on purpose: a migration must not depend on today's table types.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE payout_settlements (
      payout_id       BIGINT NOT NULL REFERENCES payouts (id) ON DELETE RESTRICT,
      ledger_entry_id BIGINT NOT NULL REFERENCES ledger_entries (id) ON DELETE RESTRICT
                      CONSTRAINT payout_settlements_entry_once UNIQUE,
      PRIMARY KEY (payout_id, ledger_entry_id)
    )`.execute(db);
  await sql`
    INSERT INTO payout_settlements (payout_id, ledger_entry_id)
    SELECT p.id, le.id
    FROM payouts p
    JOIN ledger_entries le ON le.restaurant_id = p.restaurant_id AND le.currency = p.currency
      AND le.entry_type <> 'payout'
      AND le.id <= p.settled_through_entry_id AND le.available_at <= p.cutoff
      AND NOT (le.id <= p.prior_through_entry_id AND le.available_at <= p.prior_cutoff)
    UNION ALL
    SELECT le.payout_id, le.id FROM ledger_entries le WHERE le.entry_type = 'payout'`.execute(db);
  await sql`
    CREATE TRIGGER payout_settlements_append_only BEFORE UPDATE OR DELETE ON payout_settlements
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  await sql`
    CREATE TRIGGER payout_settlements_no_truncate BEFORE TRUNCATE ON payout_settlements
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`.execute(db);
  await sql`
    ALTER TABLE payout_settlements SET (autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000)`.execute(db);
  await guardPayouts(db, false);
  await sql`DROP INDEX ledger_entries_payout_entries_idx`.execute(db);
  await sql`DROP INDEX payouts_one_first_idx`.execute(db);
  await sql`
    ALTER TABLE payouts
      DROP CONSTRAINT payouts_prior_frontier,
      DROP CONSTRAINT payouts_one_successor,
      DROP CONSTRAINT payouts_frontier_key,
      DROP CONSTRAINT payouts_frontier_advances,
      DROP CONSTRAINT payouts_first_from_origin,
      DROP CONSTRAINT payouts_prior_is_older,
      DROP COLUMN settled_through_entry_id,
      DROP COLUMN prior_cutoff,
      DROP COLUMN prior_through_entry_id,
      DROP COLUMN prior_payout_id`.execute(db);
}
