import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { getPayoutRun, ingestEvent, integrityReport, type LedgerContext, listPayouts, requestPayoutRun, workNextPayoutRun } from '../src/index.ts';
import { claimPayoutRun, ledgerWatermark, payChunk, settlePayoutRun } from '../src/payouts/payout-run.repository.ts';
import { PAYOUT_WATERMARK_WAIT_MS } from '../src/limits.ts';
import { chargeEvent, settlementLinks, suiteDatabase } from './support/index.ts';

const NOW = '2026-02-01T12:00:00Z';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Settlement frontiers under real concurrency (docs/adr/0006-payout-settlement-frontier.md): the
 * database refuses a second payout after the same frontier, two runs racing over the same
 * restaurants pay each entry once even with the one-open-payout rule out of the way, and an entry
 * whose insert is still in flight when a run starts is paid by it, never marked settled unpaid.
 */
async function workToEnd(ctx: LedgerContext, owner: string): Promise<void> {
  while ((await workNextPayoutRun(ctx, { owner, batchSize: 3 })) !== undefined) {}
}

describe('the database, between two connections', () => {
  const suite = suiteDatabase(NOW);

  it('lets one of two payouts following the same frontier commit, and refuses the other once the first has', async () => {
    await ingestEvent(suite.ctx, chargeEvent({ event_id: 'fr_c1', restaurant_id: 'res_fr', currency: 'PEN', occurred_at: '2026-01-01T00:00:00Z', amount: 900, fee: 0 }), {});
    await requestPayoutRun(suite.ctx, { currency: 'PEN', as_of: '2026-01-10', min_amount: 0 });
    await workToEnd(suite.ctx, 'setup');
    const [first] = (await listPayouts(suite.ctx, { restaurant_id: 'res_fr', currency: 'PEN', limit: 10 })).items;
    // Two followers, paid (so the one-open-payout index stays out of it), for two other as_of dates.
    const follower = (days: number) => sql`
      INSERT INTO payouts (restaurant_id, currency, amount_minor, as_of, cutoff, run_id, created_at, status, paid_at,
        prior_payout_id, prior_through_entry_id, prior_cutoff, settled_through_entry_id)
      SELECT restaurant_id, currency, 1, as_of + ${days}::int, cutoff, run_id, created_at, 'paid', created_at,
        id, settled_through_entry_id, cutoff, settled_through_entry_id + 1
      FROM payouts WHERE id = ${first?.payout_id ?? '0'}`;
    const [a, b] = [suite.testDb.openPool(1), suite.testDb.openPool(1)];
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let insertedByA = (): void => undefined;
    const aInserted = new Promise<void>((resolve) => (insertedByA = resolve));
    const aCommits = a.transaction().execute(async (trx) => {
      await follower(1).execute(trx);
      insertedByA();
      await gate;
    });
    await aInserted;
    const bOutcome = b
      .transaction()
      .execute((trx) => follower(2).execute(trx))
      .then(() => 'committed', (error: Error) => error.message);
    await sleep(200);
    release();
    await aCommits;
    expect(await bOutcome).toMatch(/payouts_one_successor/);
  });
});

describe('payout runs under concurrent connections', () => {
  const suite = suiteDatabase(NOW);
  const worker = (size = 2): LedgerContext => ({ ...suite.ctx, db: suite.testDb.openPool(size) });

  async function entriesSettledTwice(currency: string): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`
      SELECT s.ledger_entry_id::text AS id FROM (${settlementLinks}) s JOIN payouts p ON p.id = s.payout_id
      WHERE p.currency = ${currency} GROUP BY s.ledger_entry_id HAVING count(*) > 1`.execute(suite.testDb.db);
    return rows.map((row) => row.id);
  }

  it('two runs for different as_of dates racing over the same restaurants pay each entry once, even without the one-open-payout index', async () => {
    const restaurants = Array.from({ length: 24 }, (_, i) => `res_two_${String(i).padStart(2, '0')}`);
    for (const [i, restaurant] of restaurants.entries()) {
      for (const day of [2, 9, 20]) {
        const event = chargeEvent({ event_id: `two_${i}_${day}`, restaurant_id: restaurant, currency: 'MXN', occurred_at: `2025-12-${String(day).padStart(2, '0')}T00:00:00Z`, amount: 1000 + i, fee: 10 });
        await ingestEvent(suite.ctx, event, {});
      }
    }
    // The rule that would otherwise stop the second run first: only the frontier chain is left.
    await sql`DROP INDEX IF EXISTS payouts_one_open_idx`.execute(suite.testDb.db);
    const runs = [
      await requestPayoutRun(suite.ctx, { currency: 'MXN', as_of: '2026-01-20', min_amount: 0 }),
      await requestPayoutRun(suite.ctx, { currency: 'MXN', as_of: '2026-01-25', min_amount: 0 }),
    ];
    await Promise.all([workToEnd(worker(), 'racer_a'), workToEnd(worker(), 'racer_b')]);
    const finished = await Promise.all(runs.map((run) => getPayoutRun(suite.ctx, run.run_id)));
    expect(finished.map((run) => run.status)).toEqual(['completed', 'completed']);

    expect(await entriesSettledTwice('MXN')).toEqual([]);
    const { rows } = await sql<{ restaurant_id: string; paid: string }>`
      SELECT restaurant_id, SUM(amount_minor)::text AS paid FROM payouts WHERE currency = 'MXN' GROUP BY restaurant_id ORDER BY restaurant_id`.execute(
      suite.testDb.db,
    );
    // Each restaurant is paid its three charges less fees exactly once, in one payout or two.
    expect(rows).toEqual(restaurants.map((restaurant, i) => ({ restaurant_id: restaurant, paid: String(3 * (1000 + i - 10)) })));
    expect((await integrityReport(suite.ctx)).items).toEqual([]);
  });

  it('refuses the second of two batches that decided on the same restaurants at once, and its retry pays only what is left', async () => {
    await sql`DROP INDEX IF EXISTS payouts_one_open_idx`.execute(suite.testDb.db);
    const restaurants = ['res_at_0', 'res_at_1', 'res_at_2'];
    for (const [i, restaurant] of restaurants.entries()) {
      await ingestEvent(suite.ctx, chargeEvent({ event_id: `at_${i}`, restaurant_id: restaurant, currency: 'ARS', occurred_at: '2025-12-01T00:00:00Z', amount: 2000 + i, fee: 0 }), {});
    }
    const runs = [
      await requestPayoutRun(suite.ctx, { currency: 'ARS', as_of: '2026-01-20', min_amount: 0 }),
      await requestPayoutRun(suite.ctx, { currency: 'ARS', as_of: '2026-01-25', min_amount: 0 }),
    ];
    const now = new Date(NOW);
    const claimed = [await claimPayoutRun(suite.ctx.db, 'a', now, 60_000), await claimPayoutRun(suite.ctx.db, 'b', now, 60_000)];
    expect(claimed.map((run) => String(run?.id))).toEqual(runs.map((run) => run.run_id));
    const watermark = await ledgerWatermark(suite.ctx.db);
    const chunkOf = (i: number, owner: string) => {
      const run = claimed[i];
      if (run?.cutoff === undefined || run.cutoff === null) throw new Error('claimed without a cutoff');
      const terms = { currency: 'ARS', as_of: run.as_of, cutoff: run.cutoff, min_amount: 0 };
      return { runId: runs[i]?.run_id ?? '0', owner, terms, watermark, now, leaseMs: 60_000, batchSize: 10 };
    };
    // Both batches read the ledger before either has committed: both decide to pay all three.
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let decidedByA = (): void => undefined;
    const aDecided = new Promise<void>((resolve) => (decidedByA = resolve));
    const a = suite.testDb
      .openPool(1)
      .transaction()
      .execute(async (trx) => {
        const outcome = await payChunk(trx, chunkOf(0, 'a'));
        decidedByA();
        await gate;
        return outcome;
      });
    await aDecided;
    const b = suite.testDb
      .openPool(1)
      .transaction()
      .execute((trx) => payChunk(trx, chunkOf(1, 'b')))
      .then(() => 'committed', (error: Error) => error.message);
    await sleep(200);
    release();
    expect((await a).decisions.filter((decision) => decision.payout_id !== null)).toHaveLength(3);
    expect(await b).toMatch(/payouts_one_first_idx|payouts_one_successor/);
    // Back to the queue, and worked to the end: the second run finds nothing left to pay.
    await settlePayoutRun(suite.ctx.db, runs[1]?.run_id ?? '0', 'b', { status: 'queued', now });
    await settlePayoutRun(suite.ctx.db, runs[0]?.run_id ?? '0', 'a', { status: 'queued', now });
    await workToEnd(worker(), 'finisher');
    const finished = await Promise.all(runs.map((run) => getPayoutRun(suite.ctx, run.run_id)));
    expect(finished.map((run) => [run.status, run.created])).toEqual([['completed', 3], ['completed', 0]]);
    expect(await entriesSettledTwice('ARS')).toEqual([]);
  });

  /** A refund of 700 inserted (its id drawn) and not committed until `release`, as an ingestion in progress holds it. */
  async function refundInFlight(restaurant: string, currency: string): Promise<{ release: () => void; committed: Promise<void> }> {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let insertedRefund = (): void => undefined;
    const refundInserted = new Promise<void>((resolve) => (insertedRefund = resolve));
    const committed = suite.testDb
      .openPool(1)
      .transaction()
      .execute(async (trx) => {
        await sql`
          WITH event AS (
            INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, raw_payload)
            VALUES (${`${restaurant}_r1`}, 'refund_succeeded', ${restaurant}, ${currency}, 700, 0, '2026-01-05T00:00:00Z', '{}')
            RETURNING id
          )
          INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
          SELECT id, ${restaurant}, ${currency}, 'refund', -700, '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z' FROM event`.execute(trx);
        insertedRefund();
        await gate;
      });
    await refundInserted;
    return { release, committed };
  }

  it('waits for an entry whose insert is in flight when the run starts, and pays it', async () => {
    await ingestEvent(suite.ctx, chargeEvent({ event_id: 'fl_c1', restaurant_id: 'res_fl', currency: 'CLP', occurred_at: '2026-01-01T00:00:00Z', amount: 5000, fee: 0 }), {});
    const ingestion = await refundInFlight('res_fl', 'CLP');
    await requestPayoutRun(suite.ctx, { currency: 'CLP', as_of: '2026-01-10', min_amount: 0 });
    let finished = false;
    const run = workToEnd(worker(), 'waiter').then(() => {
      finished = true;
    });
    await sleep(300);
    expect(finished).toBe(false);
    ingestion.release();
    await ingestion.committed;
    await run;
    const [payout] = (await listPayouts(suite.ctx, { restaurant_id: 'res_fl', currency: 'CLP', limit: 10 })).items;
    expect(payout).toMatchObject({ amount: 4300, items: [{ type: 'refund', amount: -700 }, { type: 'sale', amount: 5000 }] });
    expect((await integrityReport(suite.ctx)).items).toEqual([]);
  });

  it('gives up waiting after PAYOUT_WATERMARK_WAIT_MS, puts the run back in the queue, and pays on the next attempt', async () => {
    await ingestEvent(suite.ctx, chargeEvent({ event_id: 'st_c1', restaurant_id: 'res_st', currency: 'COP', occurred_at: '2026-01-01T00:00:00Z', amount: 5000, fee: 0 }), {});
    const ingestion = await refundInFlight('res_st', 'COP');
    const run = await requestPayoutRun(suite.ctx, { currency: 'COP', as_of: '2026-01-10', min_amount: 0 });
    const startedMs = Date.now();
    await expect(workNextPayoutRun(worker(), { owner: 'impatient' })).rejects.toThrow(/lock timeout/);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(PAYOUT_WATERMARK_WAIT_MS);
    expect(await getPayoutRun(suite.ctx, run.run_id)).toMatchObject({ status: 'queued', attempts: 1, created: 0, last_error: expect.stringMatching(/lock timeout/) });
    // The attempt that gave up left no lock behind: inserts go on.
    await ingestEvent(suite.ctx, chargeEvent({ event_id: 'st_c2', restaurant_id: 'res_st_other', currency: 'COP', occurred_at: '2026-01-01T00:00:00Z', amount: 100, fee: 0 }), {});
    ingestion.release();
    await ingestion.committed;
    await workToEnd(worker(), 'patient');
    expect(await getPayoutRun(suite.ctx, run.run_id)).toMatchObject({ status: 'completed', created: 2 });
    const [payout] = (await listPayouts(suite.ctx, { restaurant_id: 'res_st', currency: 'COP', limit: 10 })).items;
    expect(payout?.amount).toBe(4300);
  });
});
