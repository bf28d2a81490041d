import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ingestEvent, ingestEventBatch, requestPayoutRun, workNextPayoutRun } from '../src/index.ts';
import { chargeEvent, refundEvent, suiteDatabase } from './support/index.ts';

const suite = suiteDatabase('2026-01-15T12:00:00Z');

/** The last value ledger_entries_id_seq handed out (0 before the first). */
async function lastDrawn(): Promise<bigint> {
  const { rows } = await sql<{ last: string }>`
    SELECT (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)::text AS last FROM ledger_entries_id_seq`.execute(suite.testDb.db);
  return BigInt(rows[0]?.last ?? Number.NaN);
}

async function entryCount(): Promise<bigint> {
  const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM ledger_entries`.execute(suite.testDb.db);
  return BigInt(rows[0]?.n ?? Number.NaN);
}

/** How far the sequence and the ledger each moved while `write` ran. */
async function drawnAndWritten(write: () => Promise<unknown>): Promise<{ drawn: bigint; written: bigint }> {
  const [drawnBefore, countBefore] = [await lastDrawn(), await entryCount()];
  await write();
  return { drawn: (await lastDrawn()) - drawnBefore, written: (await entryCount()) - countBefore };
}

describe('every ledger entry costs exactly one sequence value', () => {
  it('on the single-event path (a charge with a fee: two entries, two values)', async () => {
    const moved = await drawnAndWritten(() =>
      ingestEvent(suite.ctx, chargeEvent({ event_id: 'seq_c1', restaurant_id: 'res_seq1', occurred_at: '2026-01-01T10:00:00Z', amount: 12000, fee: 600 }), {}),
    );
    expect(moved).toEqual({ drawn: 2n, written: 2n });
  });

  it('on the batch path, across restaurants and event types', async () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      i % 4 === 3
        ? refundEvent({ event_id: `seq_b${i}`, restaurant_id: `res_seq${i % 5}`, occurred_at: '2026-01-02T10:00:00Z', amount: 100, fee: i % 2 })
        : chargeEvent({ event_id: `seq_b${i}`, restaurant_id: `res_seq${i % 5}`, occurred_at: '2026-01-02T10:00:00Z', amount: 5000, fee: i % 3 }),
    );
    const moved = await drawnAndWritten(() => ingestEventBatch(suite.ctx, events));
    expect(moved.written).toBeGreaterThan(40n);
    expect(moved.drawn).toBe(moved.written);
  });

  it('on the payout path (one payout entry per restaurant paid)', async () => {
    const moved = await drawnAndWritten(async () => {
      await requestPayoutRun(suite.ctx, { currency: 'PEN', as_of: '2026-01-14', min_amount: 0 });
      while ((await workNextPayoutRun(suite.ctx, { owner: 'seq-test', batchSize: 2 })) !== undefined) {}
    });
    expect(moved.written).toBeGreaterThanOrEqual(5n);
    expect(moved.drawn).toBe(moved.written);
  });

  it('draws nothing for a replay or a refused event', async () => {
    const moved = await drawnAndWritten(async () => {
      await ingestEvent(suite.ctx, chargeEvent({ event_id: 'seq_c1', restaurant_id: 'res_seq1', occurred_at: '2026-01-01T10:00:00Z', amount: 12000, fee: 600 }), {});
      await ingestEvent(suite.ctx, chargeEvent({ event_id: 'seq_c1', restaurant_id: 'res_seq1', occurred_at: '2026-01-01T10:00:00Z', amount: 1, fee: 0 }), {}).catch(() => undefined);
    });
    expect(moved).toEqual({ drawn: 0n, written: 0n });
  });

  it('refuses an insert that names its own id, as the identity column did (GENERATED ALWAYS)', async () => {
    const named = sql`
      INSERT INTO ledger_entries (id, processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT 1, id, restaurant_id, currency, 'sale', 1, occurred_at, occurred_at FROM processor_events LIMIT 1`.execute(suite.testDb.db);
    await expect(named).rejects.toMatchObject({ code: '428C9' });
  });
});
