import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerDb } from '../src/db/database.ts';
import { statementOpening } from '../src/statements/statement.repository.ts';
import {
  createRestaurant,
  getStatement,
  ingestEvent,
  int8ToSafeInteger,
  integrityReport,
  type LedgerContext,
  type StatementLine,
  type StatementQuery,
  startBalanceCheckpointer,
  statementLines,
  writeStatementCheckpoint,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, EMBEDDED_RUN, refundEvent, type TestDatabase } from './support/index.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const START_MS = Date.parse('2026-01-01T00:00:00Z');

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase({ poolSize: 12 });
});
afterAll(() => testDb.close());

const query = (restaurantId: string, overrides: Partial<StatementQuery> = {}): StatementQuery => ({
  restaurant_id: restaurantId,
  currency: 'PEN',
  limit: 100,
  format: 'json',
  ...overrides,
});

/** Each entry's running balance from the very first entry, the plain way: one window over them all, in statement order. */
async function plainStatement(db: LedgerDb, restaurantId: string, currency = 'PEN'): Promise<Array<{ id: string; occurred_at: Date; running: number }>> {
  const { rows } = await sql<{ id: string; occurred_at: Date; running: string }>`
    SELECT le.id::text AS id, le.occurred_at, (SUM(le.amount_minor) OVER (ORDER BY le.occurred_at, le.id))::text AS running
    FROM ledger_entries le WHERE le.restaurant_id = ${restaurantId} AND le.currency = ${currency}
    -- By the entry id as a number (an output column named id would sort as text).
    ORDER BY le.occurred_at, le.id`.execute(db);
  return rows.map((row) => ({ id: row.id, occurred_at: row.occurred_at, running: Number(row.running) }));
}

/** Every page of the statement, following the cursors the service issues. */
async function walkPages(ctx: LedgerContext, q: StatementQuery): Promise<StatementLine[]> {
  const lines: StatementLine[] = [];
  let cursor: string | undefined;
  do {
    const page = await getStatement(ctx, { ...q, ...(cursor !== undefined && { cursor }) });
    lines.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return lines;
}

async function collect(lines: AsyncGenerator<StatementLine>): Promise<StatementLine[]> {
  const all: StatementLine[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

/** The statement read page by page, from a few moments, and streamed, is the plain window's, line for line. */
async function expectSameAsPlain(ctx: LedgerContext, restaurantId: string, pageSize: number, froms: readonly Date[]): Promise<void> {
  const plain = await plainStatement(ctx.db, restaurantId);
  const expected = plain.map((row) => [row.id, row.running]);
  const paged = await walkPages(ctx, query(restaurantId, { limit: pageSize }));
  expect(paged.map((line) => [line.entry_id, line.running_balance]), `${restaurantId} in pages of ${pageSize}`).toEqual(expected);
  const streamed = await collect(statementLines(ctx, query(restaurantId, { format: 'csv' })));
  expect(streamed.map((line) => [line.entry_id, line.running_balance])).toEqual(expected);
  for (const from of froms) {
    const ranged = await walkPages(ctx, query(restaurantId, { limit: pageSize, from }));
    const wanted = plain.filter((row) => row.occurred_at.getTime() >= from.getTime()).map((row) => [row.id, row.running]);
    expect(ranged.map((line) => [line.entry_id, line.running_balance]), `${restaurantId} from ${from.toISOString()}`).toEqual(wanted);
  }
}

/** Inserts `count` sales for one restaurant in one statement, one minute apart from `startMs`, amounts 1..count. */
async function bulkSales(db: LedgerDb, restaurantId: string, tag: string, count: number, startMs: number): Promise<void> {
  await sql`
    WITH events AS (
      INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, raw_payload)
      SELECT ${tag} || '_' || g, 'charge_succeeded', ${restaurantId}, 'PEN', g, 0, ${new Date(startMs)}::timestamptz + g * interval '1 minute', '{}'
      FROM generate_series(1, ${count}::int) g
      RETURNING id, amount_minor, occurred_at)
    INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
    SELECT id, ${restaurantId}, 'PEN', 'sale', amount_minor, occurred_at, occurred_at FROM events`.execute(db);
}

type Step =
  | { kind: 'event'; refund: boolean; amount: number; minutesBack: number }
  | { kind: 'checkpoint'; spacing: number }
  | { kind: 'tick'; hours: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      refund: fc.boolean(),
      amount: fc.integer({ min: 1, max: 50_000 }),
      // Recent, or weeks late: before marks that checkpoints already wrote.
      minutesBack: fc.oneof(fc.integer({ min: 0, max: 2 * 1440 }), fc.integer({ min: 3 * 1440, max: 60 * 1440 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('checkpoint' as const), spacing: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), hours: fc.integer({ min: 1, max: 72 }) }) },
);

describe('statement checkpoints', () => {
  it('give every page, range and stream the plain running balance, whatever the interleaving of events, late events and checkpoints', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 40 }), fc.integer({ min: 1, max: 7 }), async (steps, pageSize) => {
        run += 1;
        const restaurantId = `res_sc_prop_${run}`;
        let nowMs = START_MS + 90 * DAY_MS;
        const ctx: LedgerContext = { ...testDb.context(), clock: () => new Date(nowMs) };
        await createRestaurant(ctx, { restaurant_id: restaurantId });
        let seq = 0;
        for (const step of steps) {
          if (step.kind === 'tick') nowMs += step.hours * 3_600_000;
          if (step.kind === 'checkpoint') await writeStatementCheckpoint(ctx, restaurantId, 'PEN', step.spacing);
          if (step.kind === 'event') {
            seq += 1;
            const event = {
              event_id: `evt_sc_${run}_${seq}`,
              restaurant_id: restaurantId,
              occurred_at: new Date(nowMs - step.minutesBack * 60_000).toISOString(),
              amount: step.amount,
              fee: 0,
            };
            await ingestEvent(ctx, step.refund ? refundEvent(event) : chargeEvent(event), {});
          }
        }
        const froms = [-24 * 90, -24 * 30, -24 * 7, -1, 0].map((hours) => new Date(nowMs + hours * 3_600_000));
        await expectSameAsPlain(ctx, restaurantId, pageSize, froms);
      }),
      { numRuns: EMBEDDED_RUN ? 10 : 30 },
    );
  });

  it('open a page deep in the history by reading about a stretch between marks plus the entries since, and a read past the threshold asks for one', async () => {
    let nowMs = START_MS + 30 * DAY_MS;
    const base: LedgerContext = { ...testDb.context(), clock: () => new Date(nowMs) };
    const checkpointer = startBalanceCheckpointer(base);
    const ctx: LedgerContext = { ...base, balanceCheckpoints: checkpointer, checkpointAfterEntries: 100 };
    await createRestaurant(ctx, { restaurant_id: 'res_sc_cost' });
    await bulkSales(ctx.db, 'res_sc_cost', 'sc_cost', 3_000, START_MS);
    const plain = await plainStatement(ctx.db, 'res_sc_cost');
    const at = (position: number) => {
      const row = plain[position - 1];
      if (row === undefined) throw new Error(`no entry at ${position}`);
      return { occurredAt: row.occurred_at.toISOString(), id: row.id };
    };
    const opening = async (position: number) => {
      const row = await statementOpening(ctx.db, 'res_sc_cost', 'PEN', at(position));
      return { balance: int8ToSafeInteger(row.balance), read: int8ToSafeInteger(row.entries_read), since: int8ToSafeInteger(row.entries_since) };
    };
    // No checkpoint: the plain sum up to the position; a page past the threshold asks for a checkpoint.
    expect(await opening(2_000)).toEqual({ balance: plain[1_999]?.running, read: 2_000, since: 2_000 });
    const first = await getStatement(ctx, query('res_sc_cost', { limit: 1_000 }));
    const second = await getStatement(ctx, query('res_sc_cost', { limit: 1_000, cursor: first.next_cursor ?? undefined }));
    expect(second.items[0]?.running_balance).toBe(plain[1_000]?.running);
    await checkpointer.idle();
    // From the checkpoint (spacing 1,000): the entries between the nearest mark and the position.
    expect(await opening(2_000)).toEqual({ balance: plain[1_999]?.running, read: 1_000, since: 0 });
    expect(await opening(2_500)).toEqual({ balance: plain[2_499]?.running, read: 500, since: 0 });
    // A new entry and a month-late one: read by id on top of the stretch, and counted where they belong.
    nowMs += DAY_MS;
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_sc_cost_new', restaurant_id: 'res_sc_cost', occurred_at: new Date(nowMs).toISOString(), amount: 500, fee: 0 }), {});
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_sc_cost_late', restaurant_id: 'res_sc_cost', occurred_at: new Date(START_MS - DAY_MS).toISOString(), amount: 700, fee: 0 }), {});
    const late = await opening(2_500);
    expect(late).toEqual({ balance: (plain[2_499]?.running ?? 0) + 700, read: 502, since: 2 });
    await checkpointer.stop();
  });

  it('are replaced whole by the next one and never edited', async () => {
    const ctx: LedgerContext = { ...testDb.context(), clock: () => new Date(START_MS + 10 * DAY_MS) };
    await createRestaurant(ctx, { restaurant_id: 'res_sc_imm' });
    await bulkSales(ctx.db, 'res_sc_imm', 'sc_imm_1', 50, START_MS);
    expect(await writeStatementCheckpoint(ctx, 'res_sc_imm', 'PEN', 10)).toMatchObject({ entries_read: 50, marks: 5 });
    expect(await writeStatementCheckpoint(ctx, 'res_sc_imm', 'PEN', 10)).toBeUndefined();
    await bulkSales(ctx.db, 'res_sc_imm', 'sc_imm_2', 30, START_MS + DAY_MS);
    // The 30 new entries, then the tail stretch (10 + 30 entries) read again and cut.
    expect(await writeStatementCheckpoint(ctx, 'res_sc_imm', 'PEN', 10)).toMatchObject({ entries_read: 70, marks: 8 });
    const { rows } = await sql<{ n: string }>`SELECT COUNT(*)::text AS n FROM statement_checkpoints WHERE restaurant_id = 'res_sc_imm'`.execute(ctx.db);
    expect(rows[0]?.n).toBe('1');
    await expect(sql`UPDATE statement_checkpoint_marks SET balance_before = 0`.execute(testDb.db)).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE statement_checkpoints SET entries_read = 0`.execute(testDb.db)).rejects.toThrow(/append-only/);
  });

  it('stay exact while events arrive on many connections as checkpoints are written', async () => {
    let nowMs = START_MS + 120 * DAY_MS;
    const writers = testDb.openPool(8);
    const ctx: LedgerContext = { ...testDb.context(), db: writers, clock: () => new Date(nowMs) };
    const checkpointCtx: LedgerContext = { ...testDb.context(), clock: () => new Date(nowMs) };
    await createRestaurant(checkpointCtx, { restaurant_id: 'res_sc_race' });
    let stop = false;
    let written = 0;
    const checkpoints = (async () => {
      while (!stop) {
        if ((await writeStatementCheckpoint(checkpointCtx, 'res_sc_race', 'PEN', 3)) !== undefined) written += 1;
        nowMs += 60_000;
      }
    })();
    await Promise.all(
      Array.from({ length: 8 }, async (_, sender) => {
        for (let i = 0; i < 40; i += 1) {
          // Every third event is weeks late, so it lands behind marks already written.
          const daysBack = i % 3 === 0 ? 30 + (i % 7) : 0;
          const occurred_at = new Date(nowMs - daysBack * DAY_MS - sender * 1_000 - i).toISOString();
          await ingestEvent(ctx, chargeEvent({ event_id: `evt_sc_race_${sender}_${i}`, restaurant_id: 'res_sc_race', occurred_at, amount: 1000 + i, fee: 3 }), {});
        }
      }),
    );
    stop = true;
    await checkpoints;
    expect(written).toBeGreaterThan(3);
    await writeStatementCheckpoint(checkpointCtx, 'res_sc_race', 'PEN', 3);
    await expectSameAsPlain(checkpointCtx, 'res_sc_race', 7, [-31, -1].map((days) => new Date(nowMs + days * DAY_MS)));
    expect((await integrityReport(checkpointCtx)).items.filter((row) => row.reason.endsWith('CHECKPOINT_MISMATCH'))).toEqual([]);
  });

  it('that disagree with the ledger are named by the integrity report', async () => {
    const ctx: LedgerContext = { ...testDb.context(), clock: () => new Date(START_MS + 10 * DAY_MS) };
    await createRestaurant(ctx, { restaurant_id: 'res_sc_bad' });
    await bulkSales(ctx.db, 'res_sc_bad', 'sc_bad', 20, START_MS);
    await writeStatementCheckpoint(ctx, 'res_sc_bad', 'PEN', 5);
    expect((await integrityReport(ctx)).items.filter((row) => row.reason === 'STATEMENT_CHECKPOINT_MISMATCH')).toEqual([]);
    // A damaged copy: the same marks, one of them a unit off, as the latest checkpoint.
    await sql`
      WITH copy AS (
        INSERT INTO statement_checkpoints (restaurant_id, currency, through_entry_id, entries_read)
        SELECT restaurant_id, currency, through_entry_id + 1, 0 FROM statement_checkpoints WHERE restaurant_id = 'res_sc_bad'
        RETURNING id)
      INSERT INTO statement_checkpoint_marks (checkpoint_id, occurred_at, entry_id, balance_before, entries_to_next)
      SELECT copy.id, m.occurred_at, m.entry_id, m.balance_before + CASE WHEN m.entry_id = 0 THEN 0 ELSE 1 END, m.entries_to_next
      FROM copy, statement_checkpoint_marks m JOIN statement_checkpoints c ON c.id = m.checkpoint_id
      WHERE c.restaurant_id = 'res_sc_bad'`.execute(ctx.db);
    const flagged = (await integrityReport(ctx)).items.filter((row) => row.reason === 'STATEMENT_CHECKPOINT_MISMATCH');
    expect(flagged).toHaveLength(3);
    expect(flagged[0]?.detail).toMatch(/^res_sc_bad PEN: the mark at /);
  });
});
