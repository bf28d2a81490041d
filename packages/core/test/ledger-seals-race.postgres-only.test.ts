import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ingestEvent, type LedgerContext, type LedgerDb, sealPendingEntries, verifyLedgerChain } from '../src/index.ts';
import { chargeEvent, suiteDatabase } from './support/index.ts';

const NOW = '2026-02-01T12:00:00Z';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The sealer under real concurrency (docs/tamper-evidence.md): ids are drawn in order but commit
 * out of order, so a block must never pass an id whose insert is still in flight, and two sealers
 * (two cluster workers) must never write conflicting blocks.
 */
describe('sealing while entries are being recorded on other connections', () => {
  const suite = suiteDatabase(NOW);
  const on = (db: LedgerDb): LedgerContext => ({ ...suite.ctx, db });
  const charge = (eventId: string, restaurantId: string) =>
    chargeEvent({ event_id: eventId, restaurant_id: restaurantId, occurred_at: '2026-01-05T10:00:00Z', amount: 1500, fee: 45 });

  it('waits for an insert that drew its id before the look began, and seals it in id order with the later ones', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let drew = (): void => undefined;
    const drawn = new Promise<void>((resolve) => (drew = resolve));
    // A's entries draw the lower ids and stay uncommitted; B's commit first with higher ids.
    const aCommits = suite.testDb
      .openPool(1)
      .transaction()
      .execute(async (trx) => {
        await ingestEvent(on(trx as unknown as LedgerDb), charge('race_a', 'res_race_a'), {});
        drew();
        await gate;
      });
    await drawn;
    await ingestEvent(on(suite.testDb.openPool(1)), charge('race_b', 'res_race_b'), {});
    let sealedAt = 0;
    const look = sealPendingEntries(on(suite.testDb.openPool(1)), { blockSize: 1000 }).then((result) => {
      sealedAt = Date.now();
      return result;
    });
    await sleep(300);
    expect(sealedAt, 'the sealer sealed past an insert still in flight').toBe(0);
    const releasedAt = Date.now();
    release();
    await aCommits;
    const result = await look;
    expect(sealedAt).toBeGreaterThanOrEqual(releasedAt);
    expect(result.blocks.reduce((sum, block) => sum + block.entry_count, 0)).toBe(4);
    expect(await verifyLedgerChain(suite.ctx, {})).toMatchObject({ ok: true, entries_checked: 4, unsealed_entries: 0 });
  });

  it('leaves no entry unsealed below the frontier while four connections record and two sealers race', async () => {
    const writers = Array.from({ length: 4 }, () => on(suite.testDb.openPool(1)));
    const sealers = [on(suite.testDb.openPool(1)), on(suite.testDb.openPool(1))];
    let writing = true;
    const frontierBreaks: string[] = [];
    const sealing = sealers.map(async (ctx) => {
      let looks = 0;
      while (writing || looks < 2) {
        const look = await sealPendingEntries(ctx, { blockSize: 7 });
        looks += 1;
        if (look.ran) {
          // Every entry at or below the frontier must lie inside a block: nothing committed late beneath it.
          const { rows } = await sql<{ loose: number }>`
            SELECT COUNT(*)::int AS loose FROM ledger_entries le
            WHERE le.id <= ${look.sealed_through_entry_id}::bigint
              AND NOT EXISTS (SELECT 1 FROM ledger_seals s WHERE le.id > s.prior_last_entry_id AND le.id <= s.last_entry_id)`.execute(ctx.db);
          if ((rows[0]?.loose ?? 0) > 0) frontierBreaks.push(look.sealed_through_entry_id);
        }
        await sleep(5);
      }
    });
    await Promise.all(
      writers.map(async (ctx, w) => {
        for (let i = 0; i < 40; i += 1) await ingestEvent(ctx, charge(`many_${w}_${i}`, `res_many_${(w + i) % 6}`), {});
      }),
    );
    writing = false;
    await Promise.all(sealing);
    await sealPendingEntries(suite.ctx, { blockSize: 7 });
    expect(frontierBreaks).toEqual([]);
    const verified = await verifyLedgerChain(suite.ctx, {});
    const { rows } = await sql<{ entries: number }>`SELECT COUNT(*)::int AS entries FROM ledger_entries`.execute(suite.testDb.db);
    expect(verified).toMatchObject({ ok: true, unsealed_entries: 0, entries_checked: rows[0]?.entries });
  });

  it('lets one of two sealers seal at a time: the other looks, finds the lock taken, and writes nothing', async () => {
    await ingestEvent(suite.ctx, charge('pair_1', 'res_pair'), {});
    const holder = suite.testDb.openPool(1);
    await holder.connection().execute(async (connection) => {
      await sql`SELECT pg_advisory_lock(1279608904::bigint)`.execute(connection);
      try {
        expect(await sealPendingEntries(on(suite.testDb.openPool(1)), {})).toMatchObject({ ran: false, blocks: [] });
      } finally {
        await sql`SELECT pg_advisory_unlock(1279608904::bigint)`.execute(connection);
      }
    });
    expect((await sealPendingEntries(suite.ctx, {})).blocks).toHaveLength(1);
  });
});
