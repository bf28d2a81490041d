import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getBalance,
  getStatement,
  ingestEvent,
  type LedgerContext,
  STATEMENT_STREAM_BATCH,
  type StatementLine,
  type StatementQuery,
  statementLines,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, expectLedgerError, fixedClock, refundEvent, type TestDatabase } from './support/index.ts';

let testDb: TestDatabase;
let ctx: LedgerContext;
const query = (overrides: Partial<StatementQuery> = {}): StatementQuery => ({
  restaurant_id: 'res_st',
  currency: 'PEN',
  limit: 100,
  format: 'json',
  ...overrides,
});

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock('2026-02-01T00:00:00Z') });
  // Delivered out of order on purpose: the statement orders by occurred_at, not by arrival.
  const events = [
    chargeEvent({ event_id: 'st_3', restaurant_id: 'res_st', occurred_at: '2026-01-03T00:00:00Z', amount: 3000, fee: 90 }),
    chargeEvent({ event_id: 'st_1', restaurant_id: 'res_st', occurred_at: '2026-01-01T00:00:00Z', amount: 1000, fee: 30 }),
    refundEvent({ event_id: 'st_2', restaurant_id: 'res_st', occurred_at: '2026-01-02T00:00:00Z', amount: 400, fee: 0 }),
    chargeEvent({ event_id: 'st_4', restaurant_id: 'res_st', occurred_at: '2026-01-04T00:00:00Z', amount: 5000, fee: 0 }),
    chargeEvent({ event_id: 'st_usd', restaurant_id: 'res_st', currency: 'USD', occurred_at: '2026-01-02T12:00:00Z', amount: 777, fee: 0 }),
  ];
  for (const event of events) await ingestEvent(ctx, event, {});
});
afterAll(() => testDb.close());

async function collect(lines: AsyncGenerator<StatementLine>): Promise<StatementLine[]> {
  const all: StatementLine[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

describe('a statement', () => {
  it('lists entries in time order with a running balance from the very first entry', async () => {
    const statement = await getStatement(ctx, query());
    expect(statement.items.map((l) => [l.event_id, l.entry_type, l.amount, l.running_balance])).toEqual([
      ['st_1', 'sale', 1000, 1000],
      ['st_1', 'fee', -30, 970],
      ['st_2', 'refund', -400, 570],
      ['st_3', 'sale', 3000, 3570],
      ['st_3', 'fee', -90, 3480],
      ['st_4', 'sale', 5000, 8480],
    ]);
    expect(statement.next_cursor).toBeNull();
  });

  it('has at each event the running balance the balance route gives at that moment', async () => {
    const lines = (await getStatement(ctx, query())).items;
    // The last line of each moment carries everything up to and including that moment.
    const lastPerMoment = lines.filter((line, i) => lines[i + 1]?.occurred_at !== line.occurred_at);
    for (const line of lastPerMoment) {
      const balance = await getBalance(ctx, { restaurant_id: 'res_st', currency: 'PEN', as_of: new Date(line.occurred_at) });
      expect(line.running_balance, line.occurred_at).toBe(balance.total);
    }
  });

  it('keeps the running balance from the first entry on later pages and inside a time range', async () => {
    const first = await getStatement(ctx, query({ limit: 4 }));
    const second = await getStatement(ctx, query({ limit: 4, cursor: first.next_cursor ?? undefined }));
    expect([...first.items, ...second.items]).toEqual((await getStatement(ctx, query())).items);
    expect(second.next_cursor).toBeNull();
    const ranged = await getStatement(ctx, query({ from: new Date('2026-01-03T00:00:00Z'), to: new Date('2026-01-03T23:59:59Z') }));
    expect(ranged.items.map((l) => l.running_balance)).toEqual([3570, 3480]);
  });

  it('never mixes currencies and refuses an unknown restaurant', async () => {
    expect((await getStatement(ctx, query({ currency: 'USD' }))).items.map((l) => l.running_balance)).toEqual([777]);
    await expectLedgerError(getStatement(ctx, query({ restaurant_id: 'res_nobody' })), 'RESTAURANT_NOT_FOUND');
  });

  it(`streams every line across batches of ${STATEMENT_STREAM_BATCH} with the same running balance as the pages`, async () => {
    // Enough entries for three batches, written in one statement.
    await sql`
      WITH events AS (
        INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, raw_payload)
        SELECT 'bulk_' || g, 'charge_succeeded', 'res_st', 'EUR', g, 0, timestamptz '2025-06-01' + g * interval '1 minute', '{}'
        FROM generate_series(1, ${STATEMENT_STREAM_BATCH * 2 + 500}) g
        RETURNING id, amount_minor, occurred_at)
      INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      SELECT id, 'res_st', 'EUR', 'sale', amount_minor, occurred_at, occurred_at FROM events`.execute(testDb.db);
    const streamed = await collect(statementLines(ctx, query({ currency: 'EUR', format: 'csv' })));
    const count = STATEMENT_STREAM_BATCH * 2 + 500;
    expect(streamed).toHaveLength(count);
    expect(streamed[streamed.length - 1]?.running_balance).toBe((count * (count + 1)) / 2);
    const page = await getStatement(ctx, query({ currency: 'EUR', limit: 10, cursor: undefined }));
    expect(streamed.slice(0, 10)).toEqual(page.items);
  });
});
