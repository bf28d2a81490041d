import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerDb } from '../src/db/database.ts';
import { migrateTo, migrateToLatest } from '../src/db/migrate.ts';
import { getPayout, ingestEvent, integrityReport, requestPayoutRun, workNextPayoutRun } from '../src/index.ts';
import { chargeEvent, createTestDatabase, fixedClock, settlementLinks, type TestDatabase } from './support/index.ts';

const BEFORE = '2025-12-08T0200-reconciliations';
const FRONTIER = '2025-12-09T0000-payout-settlement-frontier';

/**
 * Migration 2025-12-09T0000 on payouts made before it: one payout_settlements row per settled entry
 * becomes settlement frontiers, exactly (checked entry by entry), or the migration stops and
 * changes nothing; down() writes the rows back.
 */
describe('converting payout_settlements to settlement frontiers', () => {
  let testDb: TestDatabase | undefined;
  afterEach(() => testDb?.close());

  /** Charges without a fee and refunds, one entry each: (key, entry type, amount, occurred, available). */
  async function entries(db: LedgerDb, restaurant: string, rows: Array<[string, string, number, string, string]>): Promise<Map<string, string>> {
    await sql`INSERT INTO restaurants (id, maturity_days) VALUES (${restaurant}, 7)`.execute(db);
    const ids = new Map<string, string>();
    for (const [key, type, amount, occurred, available] of rows) {
      const { rows: inserted } = await sql<{ id: string }>`
        WITH event AS (
          INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, raw_payload)
          VALUES (${`${restaurant}_${key}`}, ${type === 'refund' ? 'refund_succeeded' : 'charge_succeeded'}, ${restaurant}, 'PEN', ${Math.abs(amount)}, 0, ${occurred}, '{}')
          RETURNING id
        )
        INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
        SELECT id, ${restaurant}, 'PEN', ${type}, ${amount}, ${occurred}, ${available} FROM event
        RETURNING id::text AS id`.execute(db);
      ids.set(key, inserted[0]?.id ?? '0');
    }
    return ids;
  }

  /** A payout as the old code wrote it: the row, its payout entry, and a settlement row per entry settled. */
  async function legacyPayout(db: LedgerDb, restaurant: string, asOf: string, settles: string[]): Promise<string> {
    const settled = sql`ARRAY[${sql.join(settles.map((entryId) => sql`${entryId}::bigint`))}]`;
    const { rows } = await sql<{ id: string }>`
      WITH run AS (
        INSERT INTO payout_runs (currency, as_of, min_amount, status, cutoff) VALUES ('PEN', ${asOf}::date, 0, 'completed', (${asOf}::date + 1)::timestamp AT TIME ZONE 'UTC' - interval '1 microsecond')
        RETURNING id, cutoff
      )
      INSERT INTO payouts (restaurant_id, currency, amount_minor, as_of, cutoff, run_id, status, paid_at, created_at)
      SELECT ${restaurant}, 'PEN', (SELECT SUM(amount_minor) FROM ledger_entries WHERE id = ANY(${settled})), ${asOf}::date, cutoff, id, 'paid', cutoff, cutoff + interval '1 hour'
      FROM run
      RETURNING id::text AS id`.execute(db);
    const payoutId = rows[0]?.id ?? '0';
    await sql`
      WITH entry AS (
        INSERT INTO ledger_entries (payout_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
        SELECT id, restaurant_id, 'PEN', 'payout', -amount_minor, created_at, created_at FROM payouts WHERE id = ${payoutId}
        RETURNING id, payout_id
      )
      INSERT INTO payout_settlements (payout_id, ledger_entry_id)
      SELECT ${payoutId}::bigint, unnest(${settled}) UNION ALL SELECT payout_id, id FROM entry`.execute(db);
    return payoutId;
  }

  const linksOf = async (db: LedgerDb, table: 'payout_settlements' | 'frontiers') => {
    const source = table === 'frontiers' ? sql`(${settlementLinks})` : sql`payout_settlements`;
    const { rows } = await sql<{ link: string }>`SELECT s.payout_id || ':' || s.ledger_entry_id AS link FROM ${source} s ORDER BY 1`.execute(db);
    return rows.map((row) => row.link);
  };

  it('gives each payout a frontier that settles exactly its old rows, chained per restaurant, and can be undone', async () => {
    testDb = await createTestDatabase({ migratedThrough: BEFORE });
    const { db } = testDb;
    // res_m1: a second payout settles a charge that matured after the first, whose ids lie below the first's.
    const m1 = await entries(db, 'res_m1', [
      ['a_sale', 'sale', 10000, '2025-11-01T00:00:00Z', '2025-11-08T00:00:00Z'],
      ['b_sale', 'sale', 5000, '2025-11-20T00:00:00Z', '2025-11-27T00:00:00Z'],
      ['c_sale', 'sale', 150, '2025-11-20T00:00:00Z', '2025-11-27T00:00:00Z'],
      ['r', 'refund', -1000, '2025-11-21T00:00:00Z', '2025-11-21T00:00:00Z'],
    ]);
    const m2 = await entries(db, 'res_m2', [['c_sale', 'sale', 700, '2025-11-02T00:00:00Z', '2025-11-09T00:00:00Z']]);
    const id = (map: Map<string, string>, key: string) => map.get(key) ?? '0';
    const p1 = await legacyPayout(db, 'res_m1', '2025-11-22', [id(m1, 'a_sale'), id(m1, 'r')]);
    const p2 = await legacyPayout(db, 'res_m1', '2025-11-30', [id(m1, 'b_sale'), id(m1, 'c_sale')]);
    const p3 = await legacyPayout(db, 'res_m2', '2025-11-22', [id(m2, 'c_sale')]);
    const before = await linksOf(db, 'payout_settlements');

    await migrateToLatest(db);
    expect(await linksOf(db, 'frontiers')).toEqual(before);
    const { rows } = await sql<{ id: string; prior: string | null; prior_through: string; through: string }>`
      SELECT id::text, prior_payout_id::text AS prior, prior_through_entry_id::text AS prior_through, settled_through_entry_id::text AS through
      FROM payouts ORDER BY id`.execute(db);
    expect(rows).toEqual([
      { id: p1, prior: null, prior_through: '0', through: id(m1, 'r') },
      { id: p2, prior: p1, prior_through: id(m1, 'r'), through: id(m1, 'r') },
      { id: p3, prior: null, prior_through: '0', through: id(m2, 'c_sale') },
    ]);
    const ctx = testDb.context({ clock: fixedClock('2025-12-10T00:00:00Z') });
    expect((await getPayout(ctx, p2)).items).toEqual([{ type: 'sale', amount: 5150 }]);
    expect((await integrityReport(ctx)).items).toEqual([]);

    // The next run follows the converted chain and pays only what came after it.
    await ingestEvent(ctx, chargeEvent({ event_id: 'm1_d', restaurant_id: 'res_m1', occurred_at: '2025-11-25T00:00:00Z', amount: 400, fee: 0 }), {});
    await requestPayoutRun(ctx, { currency: 'PEN', as_of: '2025-12-05', min_amount: 0 });
    while ((await workNextPayoutRun(ctx, { owner: 'after-migration' })) !== undefined) {}
    const { rows: next } = await sql<{ amount: string; prior: string }>`
      SELECT amount_minor::text AS amount, prior_payout_id::text AS prior FROM payouts WHERE restaurant_id = 'res_m1' AND as_of = '2025-12-05'`.execute(db);
    expect(next).toEqual([{ amount: '400', prior: p2 }]);
    expect((await integrityReport(ctx)).items).toEqual([]);

    // Down: the rows come back, one per settled entry, the new payout's included.
    const converted = await linksOf(db, 'frontiers');
    await migrateTo(db, BEFORE);
    expect(await linksOf(db, 'payout_settlements')).toEqual(converted);
    await migrateTo(db, FRONTIER);
    expect(await linksOf(db, 'frontiers')).toEqual(converted);
  });

  it('stops, changing nothing, when an old payout left an entry unsettled inside its frontier', async () => {
    testDb = await createTestDatabase({ migratedThrough: BEFORE });
    const { db } = testDb;
    const ids = await entries(db, 'res_hole', [
      ['a_sale', 'sale', 10000, '2025-11-01T00:00:00Z', '2025-11-08T00:00:00Z'],
      ['late', 'refund', -500, '2025-11-02T00:00:00Z', '2025-11-02T00:00:00Z'],
      ['b_sale', 'sale', 3000, '2025-11-03T00:00:00Z', '2025-11-10T00:00:00Z'],
    ]);
    // As if the refund had committed after the payout read the ledger: available, yet never paid.
    await legacyPayout(db, 'res_hole', '2025-11-22', [ids.get('a_sale') ?? '0', ids.get('b_sale') ?? '0']);
    const before = await linksOf(db, 'payout_settlements');
    await expect(migrateToLatest(db)).rejects.toThrow(`migration ${FRONTIER} failed`);
    await expect(migrateToLatest(db).catch((error: Error) => String(error.cause))).resolves.toMatch(/cannot be converted to settlement frontiers/);
    expect(await linksOf(db, 'payout_settlements')).toEqual(before);
  });
});
