import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBalanceCheckpoint, sumBalance } from '../src/balances/balance.repository.ts';
import type { LedgerDb } from '../src/db/database.ts';
import {
  type Balance,
  createRestaurant,
  getBalance,
  getStatement,
  ingestEvent,
  integrityReport,
  int8ToSafeInteger,
  type LedgerContext,
  startBalanceCheckpointer,
  writeBalanceCheckpoint,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, EMBEDDED_RUN, refundEvent, type TestDatabase } from './support/index.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const START_MS = Date.parse('2026-01-01T00:00:00Z');

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase({ poolSize: 12 });
});
afterAll(() => testDb.close());

/** A clock the test moves forward by hand. */
function movableClock(startMs: number): { clock: () => Date; advance(ms: number): void; nowMs(): number } {
  let nowMs = startMs;
  return { clock: () => new Date(nowMs), advance: (ms) => (nowMs += ms), nowMs: () => nowMs };
}

/** The balance the plain way: one sum over every entry, as docs/ledger.md (Balances) defines it. No checkpoint. */
async function plainBalance(db: LedgerDb, restaurantId: string, currency: string, asOf: Date): Promise<Omit<Balance, 'restaurant_id' | 'currency' | 'as_of'>> {
  const { rows } = await sql<{ available: string; reserved: string; total: string; last_event_at: Date | null }>`
    SELECT COALESCE(SUM(amount_minor) FILTER (WHERE available_at <= ${asOf}), 0)::text AS available,
           COALESCE(SUM(amount_minor) FILTER (WHERE available_at > ${asOf} AND entry_type = 'reserve_release'), 0)::text AS reserved,
           COALESCE(SUM(amount_minor), 0)::text AS total,
           MAX(occurred_at) AS last_event_at
    FROM ledger_entries WHERE restaurant_id = ${restaurantId} AND currency = ${currency} AND occurred_at <= ${asOf}`.execute(db);
  const row = rows[0];
  if (row === undefined) throw new Error('no row');
  const available = int8ToSafeInteger(row.available);
  const total = int8ToSafeInteger(row.total);
  const reserved = int8ToSafeInteger(row.reserved);
  return { available, pending: total - available - reserved, reserved, total, last_event_at: row.last_event_at?.toISOString() ?? null };
}

async function expectSameAsPlain(ctx: LedgerContext, restaurantId: string, currency: string, asOf: Date): Promise<void> {
  const { available, pending, reserved, total, last_event_at } = await getBalance(ctx, { restaurant_id: restaurantId, currency, as_of: asOf });
  expect({ available, pending, reserved, total, last_event_at }, `${restaurantId} ${currency} as of ${asOf.toISOString()}`).toEqual(
    await plainBalance(ctx.db, restaurantId, currency, asOf),
  );
}

/** Each entry's running balance from the very first entry, the plain way: one window over them all. */
async function plainRunningBalances(db: LedgerDb, restaurantId: string, currency: string): Promise<Map<string, string>> {
  const { rows } = await sql<{ id: string; running: string }>`
    SELECT id::text AS id, (SUM(amount_minor) OVER (ORDER BY occurred_at, id))::text AS running
    FROM ledger_entries WHERE restaurant_id = ${restaurantId} AND currency = ${currency}`.execute(db);
  return new Map(rows.map((row) => [row.id, row.running]));
}

/** Statement pages starting at several moments open with the running balance of the plain window. */
async function expectStatementsSameAsPlain(ctx: LedgerContext, restaurantId: string, currency: string, froms: readonly Date[]): Promise<void> {
  const plain = await plainRunningBalances(ctx.db, restaurantId, currency);
  for (const from of froms) {
    const page = await getStatement(ctx, { restaurant_id: restaurantId, currency, from, limit: 20, format: 'json' });
    for (const line of page.items) expect(String(line.running_balance), `entry ${line.entry_id} from ${from.toISOString()}`).toBe(plain.get(line.entry_id));
  }
}

type Step =
  | { kind: 'event'; refund: boolean; amount: number; fee: number; minutesBack: number; currency: 'PEN' | 'USD' }
  | { kind: 'checkpoint'; currency: 'PEN' | 'USD' }
  | { kind: 'tick'; hours: number }
  | { kind: 'query'; hoursFromNow: number; currency: 'PEN' | 'USD' };

const currencyArb = fc.constantFrom('PEN' as const, 'USD' as const);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      refund: fc.boolean(),
      amount: fc.integer({ min: 1, max: 50_000 }),
      fee: fc.integer({ min: 0, max: 500 }),
      // Recent, weeks late (older than checkpoints already written), or up to 4 minutes ahead of
      // the clock (a processor's clock may run ahead): after the cut of a checkpoint that covers it.
      minutesBack: fc.oneof(fc.integer({ min: 0, max: 2 * 1440 }), fc.integer({ min: 3 * 1440, max: 60 * 1440 }), fc.integer({ min: -4, max: -1 })),
      currency: currencyArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('checkpoint' as const), currency: currencyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), hours: fc.integer({ min: 1, max: 72 }) }) },
  {
    weight: 3,
    // From two months back (before any checkpoint) to now.
    arbitrary: fc.record({ kind: fc.constant('query' as const), hoursFromNow: fc.integer({ min: -24 * 60, max: 0 }), currency: currencyArb }),
  },
);

describe('balances with checkpoints', () => {
  it('equal the plain sum at every moment, and statements the plain running sum, whatever the interleaving of events, late events, checkpoints and time', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 40 }), async (steps) => {
        run += 1;
        const restaurantId = `res_cp_prop_${run}`;
        const time = movableClock(START_MS + 90 * DAY_MS);
        const ctx: LedgerContext = { ...testDb.context(), clock: time.clock };
        // Every other restaurant under a rolling reserve: its releases are `reserved`, never checkpointed.
        await createRestaurant(ctx, { restaurant_id: restaurantId, ...(run % 2 === 1 && { reserve_percent: 1500, reserve_days: 3 }) });
        let seq = 0;
        for (const step of steps) {
          if (step.kind === 'tick') time.advance(step.hours * 3_600_000);
          if (step.kind === 'checkpoint') await writeBalanceCheckpoint(ctx, restaurantId, step.currency);
          if (step.kind === 'query') await expectSameAsPlain(ctx, restaurantId, step.currency, new Date(time.nowMs() + step.hoursFromNow * 3_600_000));
          if (step.kind === 'event') {
            seq += 1;
            const base = {
              event_id: `evt_cp_${run}_${seq}`,
              restaurant_id: restaurantId,
              currency: step.currency,
              occurred_at: new Date(time.nowMs() - step.minutesBack * 60_000 - seq).toISOString(),
              amount: step.amount,
              fee: step.refund ? step.fee : Math.min(step.fee, step.amount),
            };
            await ingestEvent(ctx, step.refund ? refundEvent(base) : chargeEvent(base), {});
          }
        }
        for (const currency of ['PEN', 'USD']) {
          const moments = [-24 * 90, -24 * 30, -24 * 7, -24, -1, 0, 24 * 10].map((hoursFromNow) => new Date(time.nowMs() + hoursFromNow * 3_600_000));
          for (const asOf of moments) await expectSameAsPlain(ctx, restaurantId, currency, asOf);
          await expectStatementsSameAsPlain(ctx, restaurantId, currency, moments);
        }
      }),
      { numRuns: EMBEDDED_RUN ? 15 : 40 },
    );
  });

  it('read only the entries since the latest checkpoint, and a read past the threshold asks for one', async () => {
    const time = movableClock(START_MS + 30 * DAY_MS);
    const checkpointer = startBalanceCheckpointer({ ...testDb.context(), clock: time.clock });
    const ctx: LedgerContext = { ...testDb.context(), clock: time.clock, balanceCheckpoints: checkpointer, checkpointAfterEntries: 100 };
    for (let i = 0; i < 80; i += 1) {
      const occurred_at = new Date(START_MS + i * 3_600_000).toISOString();
      await ingestEvent(ctx, chargeEvent({ event_id: `evt_cp_thr_${i}`, restaurant_id: 'res_cp_thr', occurred_at, amount: 1000, fee: 10 }), {});
    }
    const read = async () => sumBalance(ctx.db, 'res_cp_thr', 'PEN', time.clock(), await findBalanceCheckpoint(ctx.db, 'res_cp_thr', 'PEN', time.clock()));
    expect(int8ToSafeInteger((await read()).entries_read)).toBe(160);
    await getBalance(ctx, { restaurant_id: 'res_cp_thr', currency: 'PEN' });
    await checkpointer.idle();
    expect(int8ToSafeInteger((await read()).entries_read)).toBe(0);
    // Two new events, one of them a month late: the balance reads those four entries, no more.
    time.advance(3_600_000);
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_cp_thr_new', restaurant_id: 'res_cp_thr', occurred_at: time.clock().toISOString(), amount: 500, fee: 5 }), {});
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_cp_thr_late', restaurant_id: 'res_cp_thr', occurred_at: new Date(START_MS - DAY_MS).toISOString(), amount: 700, fee: 7 }), {});
    expect(int8ToSafeInteger((await read()).entries_read)).toBe(4);
    await expectSameAsPlain(ctx, 'res_cp_thr', 'PEN', time.clock());
    await checkpointer.stop();
  });

  it('are never edited: the database refuses an UPDATE of a checkpoint', async () => {
    const ctx: LedgerContext = { ...testDb.context(), clock: () => new Date(START_MS + 10 * DAY_MS) };
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_cp_imm', restaurant_id: 'res_cp_imm', occurred_at: new Date(START_MS).toISOString() }), {});
    expect(await writeBalanceCheckpoint(ctx, 'res_cp_imm', 'PEN')).toMatchObject({ entries_read: 2 });
    expect(await writeBalanceCheckpoint(ctx, 'res_cp_imm', 'PEN')).toBeUndefined();
    await expect(sql`UPDATE balance_checkpoints SET total_minor = 0 WHERE restaurant_id = 'res_cp_imm'`.execute(testDb.db)).rejects.toThrow(/append-only/);
  });

  it('that disagree with the ledger are named by the integrity report (the latest of each restaurant and currency)', async () => {
    const ctx: LedgerContext = { ...testDb.context(), clock: () => new Date(START_MS + 10 * DAY_MS) };
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_cp_bad', restaurant_id: 'res_cp_bad', occurred_at: new Date(START_MS).toISOString(), amount: 1000, fee: 10 }), {});
    await writeBalanceCheckpoint(ctx, 'res_cp_bad', 'PEN');
    const flagged = async () => (await integrityReport(ctx)).items.filter((item) => item.reason === 'BALANCE_CHECKPOINT_MISMATCH');
    expect(await flagged()).toEqual([]);
    await sql`
      INSERT INTO balance_checkpoints (restaurant_id, currency, through_entry_id, cut_at, total_minor, available_minor, entries_read)
      SELECT restaurant_id, currency, through_entry_id + 1, cut_at, total_minor + 1, available_minor, 0
      FROM balance_checkpoints WHERE restaurant_id = 'res_cp_bad'`.execute(ctx.db);
    expect(await flagged()).toEqual([
      expect.objectContaining({ detail: expect.stringMatching(/^res_cp_bad PEN: the balance checkpoint through entry \d+ holds total 991 and available 990, its entries sum to 990 and 990$/) }),
    ]);
  });

  it('stay exact while events arrive on many connections as checkpoints are written', async () => {
    const time = movableClock(START_MS + 120 * DAY_MS);
    const writers = testDb.openPool(8);
    const ctx: LedgerContext = { ...testDb.context(), db: writers, clock: time.clock };
    const checkpointCtx: LedgerContext = { ...testDb.context(), clock: time.clock };
    let stop = false;
    let written = 0;
    const checkpoints = (async () => {
      while (!stop) {
        if ((await writeBalanceCheckpoint(checkpointCtx, 'res_cp_race', 'PEN')) !== undefined) written += 1;
        time.advance(60_000);
      }
    })();
    await Promise.all(
      Array.from({ length: 8 }, async (_, sender) => {
        for (let i = 0; i < 60; i += 1) {
          // Every third event is weeks late, so it lands behind checkpoints already written.
          const daysBack = i % 3 === 0 ? 30 + (i % 7) : 0;
          const occurred_at = new Date(time.nowMs() - daysBack * DAY_MS - sender * 1_000 - i).toISOString();
          await ingestEvent(ctx, chargeEvent({ event_id: `evt_cp_race_${sender}_${i}`, restaurant_id: 'res_cp_race', occurred_at, amount: 1000 + i, fee: 3 }), {});
        }
      }),
    );
    stop = true;
    await checkpoints;
    expect(written).toBeGreaterThan(3);
    const moments = [-60, -31, -30, -7, -1, 0, 10].map((daysFromNow) => new Date(time.nowMs() + daysFromNow * DAY_MS));
    for (const asOf of moments) await expectSameAsPlain(checkpointCtx, 'res_cp_race', 'PEN', asOf);
    await expectStatementsSameAsPlain(checkpointCtx, 'res_cp_race', 'PEN', moments);
  });
});
