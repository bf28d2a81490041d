import { type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchItemOutcome,
  EVENT_BATCH_MAX,
  getBalance,
  ingestEvent,
  ingestEventBatch,
  type LedgerContext,
  listPayouts,
  requestPayoutRun,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, DOMAIN_EXAMPLE_EVENT, expectLedgerError, fixedClock, type TestDatabase } from './support/index.ts';

let testDb: TestDatabase;
let ctx: LedgerContext;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock('2026-01-15T12:00:00Z') });
});
afterAll(() => testDb.close());

/** An event body as a processor sends it (not parsed: the batch validates each one itself). */
const charge = (eventId: string, overrides: Record<string, unknown> = {}) => ({ ...DOMAIN_EXAMPLE_EVENT, event_id: eventId, ...overrides });

async function count(table: 'processor_events' | 'ledger_entries' | 'restaurants', where = sql`true`): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${where}`.execute(testDb.db);
  return rows[0]?.n ?? -1;
}

const summary = (outcomes: BatchItemOutcome[]) =>
  outcomes.map((o) => ({ index: o.index, event_id: o.event_id, outcome: o.error?.code ?? (o.result?.idempotent ? 'replay' : 'created') }));

/** Counts the statements a context sends (BEGIN/COMMIT are not statements Kysely compiles). */
function countingStatements(base: LedgerContext): { ctx: LedgerContext; statements: () => number } {
  let statements = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      statements += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { ctx: { ...base, db: base.db.withPlugin(plugin) }, statements: () => statements };
}

describe('a batch of processor events', () => {
  it('records new charges and refunds with the same entries the single route writes', async () => {
    const outcomes = await ingestEventBatch(ctx, [
      charge('b1_charge', { restaurant_id: 'res_b1' }),
      charge('b1_refund', { restaurant_id: 'res_b1', event_type: 'refund_succeeded', amount: 2000, fee: 0 }),
    ]);
    expect(summary(outcomes)).toEqual([
      { index: 0, event_id: 'b1_charge', outcome: 'created' },
      { index: 1, event_id: 'b1_refund', outcome: 'created' },
    ]);
    const single = await ingestEvent(ctx, chargeEvent({ event_id: 'b1_single', restaurant_id: 'res_b1' }), {});
    const shape = (entries: { entry_type: string; amount: number; available_at: string }[]) =>
      entries.map(({ entry_type, amount, available_at }) => ({ entry_type, amount, available_at }));
    expect(shape(outcomes[0]?.result?.entries ?? [])).toEqual(shape(single.entries));
    expect(shape(outcomes[1]?.result?.entries ?? [])).toEqual([{ entry_type: 'refund', amount: -2000, available_at: '2025-12-20T15:10:00.000Z' }]);
    const balance = await getBalance(ctx, { restaurant_id: 'res_b1', currency: 'PEN', as_of: new Date('2026-01-01T00:00:00Z') });
    expect(balance).toMatchObject({ available: 11400 - 2000 + 11400, total: 20800 });
  });

  it('answers each event on its own: created, replay, conflict and every kind of invalid, in batch order', async () => {
    await ingestEventBatch(ctx, [charge('b2_known', { restaurant_id: 'res_b2' })]);
    const outcomes = await ingestEventBatch(ctx, [
      charge('b2_new', { restaurant_id: 'res_b2' }),
      charge('b2_known', { restaurant_id: 'res_b2' }),
      charge('b2_known', { restaurant_id: 'res_b2', amount: 12001 }),
      { ...charge('b2_missing'), currency: undefined },
      charge('b2_type', { event_type: 'chargeback' }),
      charge('b2_fee', { fee: 12001 }),
      charge('b2_future', { occurred_at: '2026-02-01T00:00:00Z' }),
      'not an object',
      charge('b2_new', { restaurant_id: 'res_b2' }),
      charge('b2_new', { restaurant_id: 'res_b2', fee: 0 }),
    ]);
    expect(summary(outcomes)).toEqual([
      { index: 0, event_id: 'b2_new', outcome: 'created' },
      { index: 1, event_id: 'b2_known', outcome: 'replay' },
      { index: 2, event_id: 'b2_known', outcome: 'EVENT_ID_CONFLICT' },
      { index: 3, event_id: 'b2_missing', outcome: 'VALIDATION_ERROR' },
      { index: 4, event_id: 'b2_type', outcome: 'EVENT_INVALID_TYPE' },
      { index: 5, event_id: 'b2_fee', outcome: 'EVENT_INVALID_FEE' },
      { index: 6, event_id: 'b2_future', outcome: 'VALIDATION_ERROR' },
      { index: 7, event_id: null, outcome: 'VALIDATION_ERROR' },
      { index: 8, event_id: 'b2_new', outcome: 'replay' },
      { index: 9, event_id: 'b2_new', outcome: 'EVENT_ID_CONFLICT' },
    ]);
    expect(outcomes[2]?.error?.details).toEqual({ event_id: 'b2_known', differing_fields: ['amount'] });
    expect(outcomes[3]?.error?.details).toEqual({ issues: [expect.objectContaining({ field: 'currency' })] });
    expect(outcomes[1]?.result?.entries).toHaveLength(2);
    for (const refused of ['b2_missing', 'b2_type', 'b2_fee', 'b2_future']) {
      expect(await count('processor_events', sql`event_id = ${refused}`)).toBe(0);
    }
    expect(await count('processor_events', sql`restaurant_id = 'res_b2'`)).toBe(2);
    expect(await count('ledger_entries', sql`restaurant_id = 'res_b2'`)).toBe(4);
  });

  it('registers no restaurant for an event refused as a conflict', async () => {
    await ingestEventBatch(ctx, [charge('b3_known', { restaurant_id: 'res_b3' })]);
    const outcomes = await ingestEventBatch(ctx, [charge('b3_known', { restaurant_id: 'res_b3_ghost' }), charge('b3_new', { restaurant_id: 'res_b3_real' })]);
    expect(summary(outcomes).map((o) => o.outcome)).toEqual(['EVENT_ID_CONFLICT', 'created']);
    expect(await count('restaurants', sql`id = 'res_b3_ghost'`)).toBe(0);
    expect(await count('restaurants', sql`id = 'res_b3_real'`)).toBe(1);
  });

  it('keeps the semantics of payout events: a payout_failed in a batch fails the payout and writes its reversal', async () => {
    await ingestEventBatch(ctx, [charge('b4_charge', { restaurant_id: 'res_b4', occurred_at: '2025-12-01T00:00:00Z', amount: 9000, fee: 0 })]);
    await requestPayoutRun(ctx, { currency: 'PEN', as_of: '2025-12-20', min_amount: 0 });
    while ((await workNextPayoutRun(ctx, { owner: 'batch-test', batchSize: 50 })) !== undefined) {}
    const [payout] = (await listPayouts(ctx, { restaurant_id: 'res_b4', limit: 10 })).items;
    const payoutEvent = (eventId: string, payoutId: string, type: string) =>
      charge(eventId, { event_type: type, restaurant_id: 'res_b4', amount: 9000, fee: 0, occurred_at: '2026-01-10T00:00:00Z', metadata: { payout_id: payoutId } });
    const outcomes = await ingestEventBatch(ctx, [
      payoutEvent('b4_failed', payout?.payout_id ?? '', 'payout_failed'),
      charge('b4_other', { restaurant_id: 'res_b4' }),
      payoutEvent('b4_unknown', '999999', 'payout_paid'),
    ]);
    expect(outcomes[0]?.result).toMatchObject({ idempotent: false, payout: { result: 'applied' }, entries: [{ entry_type: 'payout_reversal', amount: 9000 }] });
    expect(outcomes[1]?.result?.idempotent).toBe(false);
    expect(outcomes[2]?.result).toMatchObject({ idempotent: false, payout: { result: 'unknown_payout' }, entries: [] });
    expect((await listPayouts(ctx, { restaurant_id: 'res_b4', limit: 10 })).items[0]?.status).toBe('failed');
  });

  it(`writes ${EVENT_BATCH_MAX} new events in a fixed handful of statements, not one per event`, async () => {
    const counting = countingStatements(ctx);
    const events = Array.from({ length: EVENT_BATCH_MAX }, (_, i) => charge(`b5_${i}`, { restaurant_id: `res_b5_${i % 37}` }));
    const outcomes = await ingestEventBatch(counting.ctx, events);
    expect(outcomes.every((o) => o.result?.idempotent === false)).toBe(true);
    // restaurants insert, events insert, entries insert, plus the read of restaurants that existed.
    expect(counting.statements()).toBeLessThanOrEqual(4);
    expect(await count('ledger_entries', sql`restaurant_id LIKE 'res_b5_%'`)).toBe(2 * EVENT_BATCH_MAX);

    const replay = countingStatements(ctx);
    const replayed = await ingestEventBatch(replay.ctx, events);
    expect(replayed.every((o) => o.result?.idempotent === true && o.result.entries.length === 2)).toBe(true);
    // + one comparison with the stored events and one read of their entries.
    expect(replay.statements()).toBeLessThanOrEqual(6);
  });

  it(`refuses more than ${EVENT_BATCH_MAX} events as a whole`, async () => {
    const events = Array.from({ length: EVENT_BATCH_MAX + 1 }, (_, i) => charge(`b6_${i}`));
    await expectLedgerError(ingestEventBatch(ctx, events), 'VALIDATION_ERROR');
    expect(await count('processor_events', sql`event_id LIKE 'b6_%'`)).toBe(0);
  });

  it('records each event of overlapping batches delivered at once exactly once, without deadlocks', async () => {
    const pool = testDb.openPool(4);
    const raceCtx = { ...ctx, db: pool };
    const ids = Array.from({ length: 60 }, (_, i) => `b7_${i}`);
    // Four batches over the same events in different orders, each on its own connection.
    const orders = [ids, [...ids].reverse(), [...ids.slice(30), ...ids.slice(0, 30)], ids.filter((_, i) => i % 2 === 0)];
    const results = await Promise.all(
      orders.map((order) => ingestEventBatch(raceCtx, order.map((id) => charge(id, { restaurant_id: `res_${id}` })))),
    );
    const created = results.flat().filter((o) => o.result?.idempotent === false).map((o) => o.event_id);
    expect(created.sort()).toEqual([...ids].sort());
    expect(results.flat().every((o) => o.result !== undefined)).toBe(true);
    expect(await count('ledger_entries', sql`restaurant_id LIKE 'res_b7_%'`)).toBe(2 * ids.length);
  });

  it('takes events one at a time when the database refuses a value, so only that event is refused', async () => {
    // Stands in for a value validation lets through but PostgreSQL refuses (SQLSTATE class 22).
    await sql`
      CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.event_id = 'b8_poison' THEN RAISE EXCEPTION 'refused' USING ERRCODE = '22023'; END IF;
        RETURN NEW;
      END $$`.execute(testDb.db);
    await sql`CREATE TRIGGER test_poison BEFORE INSERT ON processor_events FOR EACH ROW EXECUTE FUNCTION test_poison()`.execute(testDb.db);
    try {
      const outcomes = await ingestEventBatch(ctx, [charge('b8_ok_1'), charge('b8_poison'), charge('b8_ok_2')]);
      expect(summary(outcomes).map((o) => o.outcome)).toEqual(['created', 'VALIDATION_ERROR', 'created']);
      expect(await count('processor_events', sql`event_id LIKE 'b8_%'`)).toBe(2);
    } finally {
      await sql`DROP TRIGGER test_poison ON processor_events`.execute(testDb.db);
    }
  });
});
