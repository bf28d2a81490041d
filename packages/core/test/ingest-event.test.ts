import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvent, type LedgerContext, type LedgerError } from '../src/index.ts';
import { chargeEvent, createTestDatabase, EMBEDDED_RUN, fixedClock, refundEvent, type TestDatabase, expectLedgerError } from './support/index.ts';

let testDb: TestDatabase;
let ctx: LedgerContext;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock('2026-01-15T00:00:00Z') });
});
afterAll(() => testDb.close());

async function countRows(eventId: string): Promise<{ events: number; entries: number }> {
  const { rows } = await sql<{ events: number; entries: number }>`
    SELECT (SELECT count(*)::int FROM processor_events WHERE event_id = ${eventId}) AS events,
           (SELECT count(*)::int FROM ledger_entries le JOIN processor_events pe ON pe.id = le.processor_event_id
             WHERE pe.event_id = ${eventId}) AS entries`.execute(testDb.db);
  return rows[0] ?? { events: -1, entries: -1 };
}

describe('ingesting a charge', () => {
  it('writes a sale and a fee entry that mature after the restaurant window', async () => {
    const result = await ingestEvent(ctx, chargeEvent({ event_id: 'evt_charge_a' }), { raw: true });
    expect(result.idempotent).toBe(false);
    expect(result.event).toMatchObject({ event_id: 'evt_charge_a', amount: 12000, fee: 600, restaurant_id: 'res_001' });
    expect(result.entries.map(({ entry_type, amount, available_at }) => ({ entry_type, amount, available_at }))).toEqual([
      { entry_type: 'sale', amount: 12000, available_at: '2025-12-27T15:10:00.000Z' },
      { entry_type: 'fee', amount: -600, available_at: '2025-12-27T15:10:00.000Z' },
    ]);
    expect(await countRows('evt_charge_a')).toEqual({ events: 1, entries: 2 });
  });

  it('writes no fee entry when the fee is zero or omitted', async () => {
    const result = await ingestEvent(ctx, chargeEvent({ event_id: 'evt_nofee', fee: undefined }), {});
    expect(result.entries.map((e) => e.entry_type)).toEqual(['sale']);
  });

  it('registers an unknown restaurant with the default maturity window on its first event', async () => {
    const seven = testDb.context({ clock: ctx.clock, defaultMaturityDays: 3 });
    await ingestEvent(seven, chargeEvent({ event_id: 'evt_new_rest', restaurant_id: 'res_fresh' }), {});
    const { rows } = await sql<{ maturity_days: number }>`SELECT maturity_days FROM restaurants WHERE id = 'res_fresh'`.execute(testDb.db);
    expect(rows).toEqual([{ maturity_days: 3 }]);
  });

  it('keeps the raw payload and the time of receipt beside occurred_at', async () => {
    const raw = { event_id: 'evt_raw', amount: 12000, vendor_extra: 'kept as sent' };
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_raw' }), raw);
    const { rows } = await sql<{ raw_payload: unknown; received_at: Date; occurred_at: Date }>`
      SELECT raw_payload, received_at, occurred_at FROM processor_events WHERE event_id = 'evt_raw'`.execute(testDb.db);
    expect(rows[0]?.raw_payload).toEqual(raw);
    expect(rows[0]?.occurred_at.toISOString()).toBe('2025-12-20T15:10:00.000Z');
    expect(rows[0]?.received_at).toBeInstanceOf(Date);
  });

  it('refuses a fee larger than the amount and writes nothing', async () => {
    await expectLedgerError(ingestEvent(ctx, chargeEvent({ event_id: 'evt_badfee', amount: 100, fee: 101 }), {}), 'EVENT_INVALID_FEE');
    expect(await countRows('evt_badfee')).toEqual({ events: 0, entries: 0 });
  });

  it('refuses an event dated in the future and writes nothing', async () => {
    const error = await expectLedgerError(
      ingestEvent(ctx, chargeEvent({ event_id: 'evt_future', occurred_at: '2026-01-15T00:10:00Z' }), {}),
      'VALIDATION_ERROR',
    );
    expect(error.details).toEqual({ issues: [expect.objectContaining({ field: 'occurred_at' })] });
    expect(await countRows('evt_future')).toEqual({ events: 0, entries: 0 });
  });
});

describe('ingesting a refund', () => {
  it('writes a refund and its fee, both available at once, and never gives the charge fee back', async () => {
    const result = await ingestEvent(ctx, refundEvent({ event_id: 'evt_refund_a', amount: 5000, fee: 150 }), {});
    expect(result.entries.map(({ entry_type, amount, available_at }) => ({ entry_type, amount, available_at }))).toEqual([
      { entry_type: 'refund', amount: -5000, available_at: '2025-12-20T15:10:00.000Z' },
      { entry_type: 'fee', amount: -150, available_at: '2025-12-20T15:10:00.000Z' },
    ]);
  });
});

describe('replays and conflicts', () => {
  it('answers a replay with the same content as idempotent, with the recorded entries, writing nothing', async () => {
    const first = await ingestEvent(ctx, chargeEvent({ event_id: 'evt_replay' }), {});
    const again = await ingestEvent(ctx, chargeEvent({ event_id: 'evt_replay' }), {});
    expect(again.idempotent).toBe(true);
    expect(again.entries).toEqual(first.entries);
    expect(again.event).toEqual(first.event);
    expect(await countRows('evt_replay')).toEqual({ events: 1, entries: 2 });
  });

  it('treats equal instants, reordered metadata and an omitted zero fee as the same content', async () => {
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_equiv', fee: 0, metadata: { a: 1, b: { c: [1, 2] } } }), {});
    const replay = await ingestEvent(
      ctx,
      chargeEvent({ event_id: 'evt_equiv', fee: undefined, occurred_at: '2025-12-20T10:10:00-05:00', metadata: { b: { c: [1, 2] }, a: 1 } }),
      {},
    );
    expect(replay.idempotent).toBe(true);
  });

  it.each([
    ['amount', { amount: 12001 }],
    ['fee', { fee: 601 }],
    ['currency', { currency: 'USD' }],
    ['event_type', { event_type: 'refund_succeeded' }],
    ['occurred_at', { occurred_at: '2025-12-20T15:10:00.001Z' }],
    ['metadata', { metadata: { reservation_id: 'rsv_987', payment_id: 'pay_457' } }],
  ])('refuses a replay with a different %s as EVENT_ID_CONFLICT naming the field, writing nothing', async (field, change) => {
    const eventId = `evt_conflict_${field}`;
    await ingestEvent(ctx, chargeEvent({ event_id: eventId }), {});
    const error = await expectLedgerError(ingestEvent(ctx, chargeEvent({ event_id: eventId, ...change }), {}), 'EVENT_ID_CONFLICT');
    expect(error.details).toEqual({ event_id: eventId, differing_fields: [field] });
    expect(await countRows(eventId)).toEqual({ events: 1, entries: 2 });
  });

  it('does not register the restaurant named by a conflicting replay', async () => {
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_conflict_rest' }), {});
    await expectLedgerError(ingestEvent(ctx, chargeEvent({ event_id: 'evt_conflict_rest', restaurant_id: 'res_ghost' }), {}), 'EVENT_ID_CONFLICT');
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM restaurants WHERE id = 'res_ghost'`.execute(testDb.db);
    expect(rows[0]?.n).toBe(0);
  });
});

describe('concurrent deliveries', () => {
  const DELIVERIES = 50;

  it(`of one event over ${DELIVERIES} separate connections give exactly one new record and one set of entries`, async () => {
    const pool = testDb.openPool(DELIVERIES);
    const raceCtx = { ...ctx, db: pool };
    if (!EMBEDDED_RUN) {
      // Prove the race is real: every delivery holds its own server connection at the same time.
      await Promise.all(Array.from({ length: DELIVERIES }, () => sql`SELECT pg_sleep(0.05)`.execute(pool)));
    }
    const results = await Promise.all(
      Array.from({ length: DELIVERIES }, () => ingestEvent(raceCtx, chargeEvent({ event_id: 'evt_race' }), {})),
    );
    expect(results.filter((r) => !r.idempotent)).toHaveLength(1);
    expect(results.filter((r) => r.idempotent)).toHaveLength(DELIVERIES - 1);
    expect(await countRows('evt_race')).toEqual({ events: 1, entries: 2 });
  });

  it('of one event_id with different contents record exactly one and refuse the rest as conflicts', async () => {
    const pool = testDb.openPool(20);
    const raceCtx = { ...ctx, db: pool };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => ingestEvent(raceCtx, chargeEvent({ event_id: 'evt_race_diff', amount: 1000 + i }), {})),
    );
    const created = outcomes.filter((o) => o.status === 'fulfilled');
    const conflicts = outcomes.filter((o) => o.status === 'rejected' && (o.reason as LedgerError).code === 'EVENT_ID_CONFLICT');
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    expect(await countRows('evt_race_diff')).toEqual({ events: 1, entries: 2 });
  });
});
