import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getBalance,
  getDispute,
  ingestEvent,
  ingestEventBatch,
  integrityReport,
  type LedgerContext,
  type LedgerError,
  listDisputes,
  type ProcessorEventInput,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, EMBEDDED_RUN, expectLedgerError, fixedClock, refundEvent, type TestDatabase } from './support/index.ts';

let testDb: TestDatabase;
let ctx: LedgerContext;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock('2026-01-15T00:00:00Z') });
});
afterAll(() => testDb.close());

/** A dispute event on restaurant `restaurant` (its own per test, so balances do not mix). */
function disputeEvent(
  eventType: 'dispute_opened' | 'dispute_won' | 'dispute_lost',
  overrides: Partial<Record<keyof ProcessorEventInput, unknown>> & { dispute_id: string; charge_event_id?: string; payment_id?: string },
): ProcessorEventInput {
  const { dispute_id, charge_event_id, payment_id, ...fields } = overrides;
  const metadata = { dispute_id, ...(charge_event_id !== undefined && { charge_event_id }), ...(payment_id !== undefined && { payment_id }) };
  return chargeEvent({
    event_id: `evt_${eventType}_${dispute_id}`,
    event_type: eventType,
    occurred_at: '2026-01-05T10:00:00Z',
    amount: 4000,
    fee: 0,
    metadata,
    ...fields,
  });
}

async function charge(restaurant: string, eventId: string, amount = 10000, paymentId = `pay_${eventId}`): Promise<void> {
  await ingestEvent(ctx, chargeEvent({ event_id: eventId, restaurant_id: restaurant, amount, fee: 0, occurred_at: '2026-01-01T00:00:00Z', metadata: { payment_id: paymentId } }), {});
}

async function available(restaurant: string): Promise<number> {
  return (await getBalance(ctx, { restaurant_id: restaurant, currency: 'PEN' })).available;
}

async function rowCounts(restaurant: string): Promise<{ events: number; entries: number; disputes: number }> {
  const { rows } = await sql<{ events: number; entries: number; disputes: number }>`
    SELECT (SELECT count(*)::int FROM processor_events WHERE restaurant_id = ${restaurant}) AS events,
           (SELECT count(*)::int FROM ledger_entries WHERE restaurant_id = ${restaurant}) AS entries,
           (SELECT count(*)::int FROM disputes WHERE restaurant_id = ${restaurant}) AS disputes`.execute(testDb.db);
  return rows[0] ?? { events: -1, entries: -1, disputes: -1 };
}

describe('a dispute opened on a known charge', () => {
  it('holds the amount and takes the fee from available at once, and shows the dispute open with its charge', async () => {
    await charge('res_d_open', 'evt_c_open');
    const opened = await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_open', dispute_id: 'dp_open', charge_event_id: 'evt_c_open', fee: 1500 }), {});
    expect(opened.idempotent).toBe(false);
    expect(opened.dispute).toEqual({ dispute_id: 'dp_open', status: 'open', charge_found: true });
    expect(opened.entries.map(({ entry_type, amount, available_at }) => ({ entry_type, amount, available_at }))).toEqual([
      { entry_type: 'dispute_hold', amount: -4000, available_at: '2026-01-05T10:00:00.000Z' },
      { entry_type: 'dispute_fee', amount: -1500, available_at: '2026-01-05T10:00:00.000Z' },
    ]);
    expect(await available('res_d_open')).toBe(10000 - 5500);
    expect(await getDispute(ctx, 'dp_open')).toMatchObject({
      dispute_id: 'dp_open',
      restaurant_id: 'res_d_open',
      amount: 4000,
      fee: 1500,
      status: 'open',
      charge_found: true,
      charge: { event_id: 'evt_c_open', payment_id: 'pay_evt_c_open', charge_found: true },
      closed_at: null,
      events: [{ event_id: 'evt_dispute_opened_dp_open', event_type: 'dispute_opened', occurred_at: '2026-01-05T10:00:00.000Z' }],
    });
  });

  it('finds the charge by metadata.payment_id when no charge_event_id is given', async () => {
    await charge('res_d_pay', 'evt_c_pay', 10000, 'pay_by_id');
    const opened = await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_pay', dispute_id: 'dp_pay', payment_id: 'pay_by_id' }), {});
    expect(opened.dispute?.charge_found).toBe(true);
    expect((await getDispute(ctx, 'dp_pay')).charge).toEqual({ event_id: 'evt_c_pay', payment_id: 'pay_by_id', charge_found: true });
  });
});

describe('the dispute lifecycle', () => {
  it('won releases the hold (the fee stays taken); lost releases it and charges it back', async () => {
    await charge('res_d_life', 'evt_c_life', 20000);
    await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_life', dispute_id: 'dp_win', charge_event_id: 'evt_c_life', fee: 1000 }), {});
    await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_life', dispute_id: 'dp_lose', charge_event_id: 'evt_c_life' }), {});
    expect(await available('res_d_life')).toBe(20000 - 4000 - 1000 - 4000);
    const won = await ingestEvent(ctx, disputeEvent('dispute_won', { restaurant_id: 'res_d_life', dispute_id: 'dp_win', occurred_at: '2026-01-08T00:00:00Z' }), {});
    expect(won.entries.map((e) => [e.entry_type, e.amount])).toEqual([['dispute_release', 4000]]);
    const lost = await ingestEvent(ctx, disputeEvent('dispute_lost', { restaurant_id: 'res_d_life', dispute_id: 'dp_lose', occurred_at: '2026-01-08T00:00:00Z' }), {});
    expect(lost.entries.map((e) => [e.entry_type, e.amount])).toEqual([
      ['dispute_release', 4000],
      ['chargeback', -4000],
    ]);
    expect(await available('res_d_life')).toBe(20000 - 1000 - 4000);
    expect(await getDispute(ctx, 'dp_win')).toMatchObject({ status: 'won', closed_at: '2026-01-08T00:00:00.000Z' });
    expect((await getDispute(ctx, 'dp_lose')).events.map((e) => e.event_type)).toEqual(['dispute_opened', 'dispute_lost']);
  });

  it('refuses won or lost without an open dispute, a second close, and a close that contradicts the dispute, writing nothing', async () => {
    await charge('res_d_err', 'evt_c_err');
    const before = await rowCounts('res_d_err');
    await expectLedgerError(ingestEvent(ctx, disputeEvent('dispute_won', { restaurant_id: 'res_d_err', dispute_id: 'dp_never' }), {}), 'DISPUTE_NOT_OPEN');
    expect(await rowCounts('res_d_err')).toEqual(before);
    await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_err', dispute_id: 'dp_err', charge_event_id: 'evt_c_err' }), {});
    const mismatch = await expectLedgerError(
      ingestEvent(ctx, disputeEvent('dispute_lost', { restaurant_id: 'res_d_err', dispute_id: 'dp_err', amount: 3999 }), {}),
      'DISPUTE_MISMATCH',
    );
    expect(mismatch.details).toMatchObject({ differing_fields: ['amount'] });
    await ingestEvent(ctx, disputeEvent('dispute_lost', { restaurant_id: 'res_d_err', dispute_id: 'dp_err' }), {});
    const afterLoss = await rowCounts('res_d_err');
    const twice = await expectLedgerError(
      ingestEvent(ctx, disputeEvent('dispute_lost', { event_id: 'evt_lost_again', restaurant_id: 'res_d_err', dispute_id: 'dp_err' }), {}),
      'DISPUTE_ALREADY_CLOSED',
    );
    expect(twice.details).toMatchObject({ status: 'lost' });
    await expectLedgerError(ingestEvent(ctx, disputeEvent('dispute_won', { event_id: 'evt_won_late', restaurant_id: 'res_d_err', dispute_id: 'dp_err' }), {}), 'DISPUTE_ALREADY_CLOSED');
    await expectLedgerError(
      ingestEvent(ctx, disputeEvent('dispute_opened', { event_id: 'evt_open_again', restaurant_id: 'res_d_err', dispute_id: 'dp_err', amount: 1 }), {}),
      'DISPUTE_ALREADY_EXISTS',
    );
    expect(await rowCounts('res_d_err')).toEqual(afterLoss);
  });

  it('answers a replay of a closing event as a replay (200 idempotent), not as DISPUTE_ALREADY_CLOSED, and a changed one as a conflict', async () => {
    await charge('res_d_replay', 'evt_c_replay');
    await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_replay', dispute_id: 'dp_replay', charge_event_id: 'evt_c_replay' }), {});
    const won = disputeEvent('dispute_won', { restaurant_id: 'res_d_replay', dispute_id: 'dp_replay' });
    await ingestEvent(ctx, won, {});
    const counts = await rowCounts('res_d_replay');
    const replay = await ingestEvent(ctx, won, {});
    expect(replay.idempotent).toBe(true);
    expect(replay.entries.map((e) => e.entry_type)).toEqual(['dispute_release']);
    await expectLedgerError(ingestEvent(ctx, { ...won, occurred_at: '2026-01-06T00:00:00.000Z' }, {}), 'EVENT_ID_CONFLICT');
    expect(await rowCounts('res_d_replay')).toEqual(counts);
  });
});

describe('the disputed amount', () => {
  it('may not exceed the charge less its refunds and its other open or lost disputes; won disputes give their room back', async () => {
    await charge('res_d_room', 'evt_c_room', 10000, 'pay_room');
    await ingestEvent(ctx, refundEvent({ event_id: 'evt_r_room', restaurant_id: 'res_d_room', amount: 2000, occurred_at: '2026-01-02T00:00:00Z', metadata: { payment_id: 'pay_room' } }), {});
    await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_room', dispute_id: 'dp_room_1', charge_event_id: 'evt_c_room', amount: 5000 }), {});
    const before = await rowCounts('res_d_room');
    const exceeds = await expectLedgerError(
      ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_room', dispute_id: 'dp_room_2', payment_id: 'pay_room', amount: 3001 }), {}),
      'DISPUTE_EXCEEDS_CHARGE',
    );
    expect(exceeds.details).toMatchObject({ charge_amount: 10000, refunded: 2000, disputed: 5000, disputable: 3000 });
    expect(await rowCounts('res_d_room')).toEqual(before);
    await ingestEvent(ctx, disputeEvent('dispute_won', { restaurant_id: 'res_d_room', dispute_id: 'dp_room_1', amount: 5000 }), {});
    const second = await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_room', dispute_id: 'dp_room_2', payment_id: 'pay_room', amount: 8000 }), {});
    expect(second.dispute?.status).toBe('open');
  });

  it('is checked against the refunds that name the charge by charge_event_id too', async () => {
    await charge('res_d_rce', 'evt_c_rce', 10000);
    await ingestEvent(ctx, refundEvent({ event_id: 'evt_r_rce', restaurant_id: 'res_d_rce', amount: 9000, occurred_at: '2026-01-02T00:00:00Z', metadata: { charge_event_id: 'evt_c_rce' } }), {});
    await expectLedgerError(
      ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_rce', dispute_id: 'dp_rce', charge_event_id: 'evt_c_rce', amount: 1001 }), {}),
      'DISPUTE_EXCEEDS_CHARGE',
    );
  });
});

describe('a dispute naming a charge the ledger does not know', () => {
  it('is recorded and written, flagged charge_found false, listed, and named by the integrity report', async () => {
    const opened = await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_unknown', dispute_id: 'dp_unknown', charge_event_id: 'evt_nowhere' }), {});
    expect(opened.dispute).toEqual({ dispute_id: 'dp_unknown', status: 'open', charge_found: false });
    expect(await available('res_d_unknown')).toBe(-4000);
    const listed = await listDisputes(ctx, { restaurant_id: 'res_d_unknown', limit: 10 });
    expect(listed.items.map((d) => [d.dispute_id, d.charge_found, d.charge.event_id])).toEqual([['dp_unknown', false, 'evt_nowhere']]);
    const report = await integrityReport(ctx);
    expect(report.items.filter((item) => item.reason === 'DISPUTE_CHARGE_NOT_FOUND').map((item) => item.event_id)).toContain('evt_dispute_opened_dp_unknown');
  });
});

describe('dispute event validation', () => {
  it('requires metadata.dispute_id on all three types, naming the field', async () => {
    for (const eventType of ['dispute_opened', 'dispute_won', 'dispute_lost'] as const) {
      const error = await expectLedgerError(
        ingestEvent(ctx, chargeEvent({ event_id: `evt_noid_${eventType}`, event_type: eventType, amount: 100, fee: 0, metadata: { payment_id: 'p' } }), {}),
        'VALIDATION_ERROR',
      );
      expect(error.details).toMatchObject({ issues: [{ field: 'metadata.dispute_id' }] });
    }
  });

  it('refuses a fee on won or lost', async () => {
    await expectLedgerError(ingestEvent(ctx, disputeEvent('dispute_won', { restaurant_id: 'res_d_val', dispute_id: 'dp_val', fee: 10 }), {}), 'EVENT_INVALID_FEE');
  });
});

describe('the batch route', () => {
  it('gives each dispute event the answer it would get alone', async () => {
    await charge('res_d_batch', 'evt_c_batch');
    const opened = disputeEvent('dispute_opened', { restaurant_id: 'res_d_batch', dispute_id: 'dp_batch', charge_event_id: 'evt_c_batch' });
    const won = disputeEvent('dispute_won', { restaurant_id: 'res_d_batch', dispute_id: 'dp_batch' });
    const outcomes = await ingestEventBatch(ctx, [
      opened,
      disputeEvent('dispute_lost', { restaurant_id: 'res_d_batch', dispute_id: 'dp_batch_none' }),
      won,
      { ...won, event_id: 'evt_won_twice' },
      won,
      disputeEvent('dispute_opened', { restaurant_id: 'res_d_batch', dispute_id: 'dp_batch_big', charge_event_id: 'evt_c_batch', amount: 10001 }),
    ]);
    expect(outcomes.map((o) => o.error?.code ?? (o.result?.idempotent ? 'replay' : 'created'))).toEqual([
      'created',
      'DISPUTE_NOT_OPEN',
      'created',
      'DISPUTE_ALREADY_CLOSED',
      'replay',
      'DISPUTE_EXCEEDS_CHARGE',
    ]);
  });
});

describe('concurrency, over real concurrent connections', () => {
  it('of different won and lost events for one dispute lets exactly one close it; the others get DISPUTE_ALREADY_CLOSED', async () => {
    await charge('res_d_race', 'evt_c_race');
    await ingestEvent(ctx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_race', dispute_id: 'dp_race', charge_event_id: 'evt_c_race' }), {});
    const RACERS = 12;
    const pool = testDb.openPool(RACERS);
    const raceCtx = { ...ctx, db: pool };
    if (!EMBEDDED_RUN) await Promise.all(Array.from({ length: RACERS }, () => sql`SELECT pg_sleep(0.05)`.execute(pool)));
    const outcomes = await Promise.allSettled(
      Array.from({ length: RACERS }, (_, i) =>
        ingestEvent(raceCtx, disputeEvent(i % 2 === 0 ? 'dispute_won' : 'dispute_lost', { event_id: `evt_close_race_${i}`, restaurant_id: 'res_d_race', dispute_id: 'dp_race' }), {}),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as LedgerError).code] : []));
    expect(refused).toEqual(Array.from({ length: RACERS - 1 }, () => 'DISPUTE_ALREADY_CLOSED'));
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ledger_entries WHERE restaurant_id = 'res_d_race' AND entry_type = 'dispute_release'`.execute(testDb.db);
    expect(rows[0]?.n).toBe(1);
  });

  it('of dispute_opened events for one charge never lets them together exceed it', async () => {
    await charge('res_d_race_open', 'evt_c_race_open', 10000);
    const RACERS = 10;
    const pool = testDb.openPool(RACERS);
    const raceCtx = { ...ctx, db: pool };
    if (!EMBEDDED_RUN) await Promise.all(Array.from({ length: RACERS }, () => sql`SELECT pg_sleep(0.05)`.execute(pool)));
    const outcomes = await Promise.allSettled(
      Array.from({ length: RACERS }, (_, i) =>
        ingestEvent(raceCtx, disputeEvent('dispute_opened', { restaurant_id: 'res_d_race_open', dispute_id: `dp_race_open_${i}`, charge_event_id: 'evt_c_race_open', amount: 3000 }), {}),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as LedgerError).code] : []));
    expect(new Set(refused)).toEqual(new Set(['DISPUTE_EXCEEDS_CHARGE']));
    expect((await listDisputes(ctx, { restaurant_id: 'res_d_race_open', limit: 50 })).items).toHaveLength(3);
  });
});

describe('listing disputes', () => {
  it('filters by restaurant, currency and status and pages with a cursor tied to its filters', async () => {
    const first = await listDisputes(ctx, { restaurant_id: 'res_d_life', limit: 1 });
    expect(first.items.map((d) => d.dispute_id)).toEqual(['dp_win']);
    expect(first.next_cursor).not.toBeNull();
    const second = await listDisputes(ctx, { restaurant_id: 'res_d_life', limit: 1, cursor: first.next_cursor ?? '' });
    expect(second.items.map((d) => d.dispute_id)).toEqual(['dp_lose']);
    expect(second.next_cursor).toBeNull();
    expect((await listDisputes(ctx, { restaurant_id: 'res_d_life', status: 'lost', currency: 'PEN', limit: 10 })).items.map((d) => d.dispute_id)).toEqual(['dp_lose']);
    await expectLedgerError(listDisputes(ctx, { restaurant_id: 'res_d_open', limit: 1, cursor: first.next_cursor ?? '' }), 'CURSOR_INVALID');
    await expectLedgerError(getDispute(ctx, 'dp_nope'), 'DISPUTE_NOT_FOUND');
  });
});
