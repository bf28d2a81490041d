import { type RawBuilder, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvent, int8ToId, type LedgerDb } from '../src/index.ts';
import { chargeEvent, createTestDatabase, fixedClock, type TestDatabase } from './support/index.ts';

let testDb: TestDatabase;
/** Primary keys of one charge recorded the normal way, which every test then tries to change. */
let eventPk: string;
let entryPk: string;

const RESTAURANT_ID = 'res_immutable';

beforeAll(async () => {
  testDb = await createTestDatabase();
  const ctx = testDb.context({ clock: fixedClock('2026-01-15T00:00:00Z') });
  const result = await ingestEvent(ctx, chargeEvent({ event_id: 'evt_immutable', restaurant_id: RESTAURANT_ID }), {});
  const { rows } = await sql<{ id: string | number | bigint }>`
    SELECT id FROM processor_events WHERE event_id = 'evt_immutable'`.execute(testDb.db);
  eventPk = int8ToId(rows[0]?.id ?? -1);
  entryPk = result.entries[0]?.entry_id ?? '-1';
});
afterAll(() => testDb.close());

/** The error a statement fails with, or undefined when it succeeds. */
async function failureOf(statement: RawBuilder<unknown>, db: LedgerDb = testDb.db): Promise<Error | undefined> {
  return statement.execute(db).then(
    () => undefined,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
}

async function expectRefused(statement: RawBuilder<unknown>, message: string | RegExp): Promise<void> {
  const error = await failureOf(statement);
  expect(error, 'the database accepted the statement').toBeInstanceOf(Error);
  expect(error?.message).toMatch(message);
}

/**
 * Whether a statement succeeds, run in a transaction that is always rolled back so the permanent
 * (append-only) tables keep no trace of it.
 */
async function acceptedAndRolledBack(statement: RawBuilder<unknown>): Promise<boolean> {
  const rollback = new Error('rollback');
  let accepted = false;
  await testDb.db
    .transaction()
    .execute(async (trx) => {
      await statement.execute(trx);
      accepted = true;
      throw rollback;
    })
    .catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
  return accepted;
}

/** Whole rows as JSON, so "unchanged" compares every column the same way on both drivers. */
async function snapshot(table: 'processor_events' | 'ledger_entries'): Promise<unknown[]> {
  const { rows } = await sql<{ row: unknown }>`
    SELECT to_jsonb(t) AS row FROM ${sql.table(table)} t ORDER BY id`.execute(testDb.db);
  return rows.map((r) => r.row);
}

describe('append-only tables', () => {
  type Table = 'processor_events' | 'ledger_entries';
  const pkOf = (table: Table): string => (table === 'processor_events' ? eventPk : entryPk);

  const changes: Array<[string, Table, string, (table: Table, pk: string) => RawBuilder<unknown>]> = [
    ['UPDATE', 'processor_events', 'that changes the amount', (t, pk) => sql`UPDATE ${sql.table(t)} SET amount_minor = amount_minor + 1 WHERE id = ${pk}`],
    ['UPDATE', 'processor_events', 'that replaces the metadata', (t, pk) => sql`UPDATE ${sql.table(t)} SET metadata = '{}'::jsonb WHERE id = ${pk}`],
    ['UPDATE', 'processor_events', 'that changes nothing', (t, pk) => sql`UPDATE ${sql.table(t)} SET event_id = event_id WHERE id = ${pk}`],
    ['DELETE', 'processor_events', 'of one row', (t, pk) => sql`DELETE FROM ${sql.table(t)} WHERE id = ${pk}`],
    ['UPDATE', 'ledger_entries', 'that changes the amount', (t, pk) => sql`UPDATE ${sql.table(t)} SET amount_minor = amount_minor + 1 WHERE id = ${pk}`],
    ['UPDATE', 'ledger_entries', 'that matures an entry early', (t, pk) => sql`UPDATE ${sql.table(t)} SET available_at = occurred_at WHERE id = ${pk}`],
    ['UPDATE', 'ledger_entries', 'that changes nothing', (t, pk) => sql`UPDATE ${sql.table(t)} SET amount_minor = amount_minor WHERE id = ${pk}`],
    ['DELETE', 'ledger_entries', 'of one row', (t, pk) => sql`DELETE FROM ${sql.table(t)} WHERE id = ${pk}`],
    ['DELETE', 'ledger_entries', 'of every row', (t) => sql`DELETE FROM ${sql.table(t)}`],
  ];

  it.each(changes)('refuse %s on %s %s, leaving the rows as they were', async (op, table, _what, statementFor) => {
    const before = await snapshot(table);
    expect(before.length).toBeGreaterThan(0);
    await expectRefused(statementFor(table, pkOf(table)), `${table} is append-only: ${op} refused`);
    expect(await snapshot(table)).toEqual(before);
  });

  it('refuse TRUNCATE on ledger_entries and keep every entry', async () => {
    const before = await snapshot('ledger_entries');
    // CASCADE: the refusal must come from the trigger, whatever foreign keys point at the table.
    await expectRefused(sql`TRUNCATE ledger_entries CASCADE`, /append-only: TRUNCATE refused/);
    expect(await snapshot('ledger_entries')).toEqual(before);
  });

  it('refuse TRUNCATE … CASCADE on processor_events and keep events and entries', async () => {
    const events = await snapshot('processor_events');
    const entries = await snapshot('ledger_entries');
    await expectRefused(sql`TRUNCATE processor_events CASCADE`, /append-only: TRUNCATE refused/);
    expect(await snapshot('processor_events')).toEqual(events);
    expect(await snapshot('ledger_entries')).toEqual(entries);
  });

  it('refuse a change made inside a transaction too, rolling the whole transaction back', async () => {
    const before = await snapshot('ledger_entries');
    const outcome = await testDb.db
      .transaction()
      .execute(async (trx) => {
        await sql`INSERT INTO restaurants (id, maturity_days) VALUES ('res_in_trx', 7)`.execute(trx);
        await sql`UPDATE ledger_entries SET amount_minor = 1 WHERE id = ${entryPk}`.execute(trx);
      })
      .then(
        () => 'committed',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
    expect(outcome).toMatch(/append-only/);
    expect(await snapshot('ledger_entries')).toEqual(before);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM restaurants WHERE id = 'res_in_trx'`.execute(testDb.db);
    expect(rows[0]?.n).toBe(0);
  });
});

describe('ledger_entries constraints', () => {
  function entry(overrides: { entry_type?: string; amount_minor?: number | string; currency?: string; available_at?: string } = {}) {
    const row = {
      entry_type: 'sale',
      amount_minor: 100,
      currency: 'PEN',
      available_at: '2025-12-27T15:10:00Z',
      ...overrides,
    };
    return sql`
      INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
      VALUES (${eventPk}, ${RESTAURANT_ID}, ${row.currency}, ${row.entry_type}, ${row.amount_minor},
              '2025-12-20T15:10:00Z', ${row.available_at})`;
  }

  it.each([
    ['sale', 1],
    ['fee', -1],
    ['refund', -1],
  ])('accept a %s entry of %i (the right sign)', async (entryType, amount) => {
    expect(await acceptedAndRolledBack(entry({ entry_type: entryType, amount_minor: amount }))).toBe(true);
  });

  it.each([
    ['payout', -1],
    ['payout_reversal', 1],
  ])('refuse a %s entry of %i that names no payout', async (entryType, amount) => {
    await expectRefused(entry({ entry_type: entryType, amount_minor: amount }), /ledger_entries_source/);
  });

  it.each([
    ['sale', -100],
    ['sale', 0],
    ['fee', 600],
    ['fee', 0],
    ['refund', 5000],
    ['refund', 0],
    ['payout', 11400],
    ['payout', 0],
    ['payout_reversal', -11400],
    ['payout_reversal', 0],
  ])('refuse a %s entry of %i (wrong sign or zero)', async (entryType, amount) => {
    await expectRefused(entry({ entry_type: entryType, amount_minor: amount }), /ledger_entries_sign_by_type/);
  });

  it.each(['pen', 'PE', 'PENN', 'P3N', ''])('refuse currency %j', async (currency) => {
    await expectRefused(entry({ currency }), /ledger_entries_currency_format/);
  });

  it.each(['adjustment', 'SALE', 'charge_back'])('refuse unknown entry_type %j', async (entryType) => {
    await expectRefused(entry({ entry_type: entryType }), /ledger_entries_entry_type_known/);
  });

  it('refuse an entry that becomes available before it occurred', async () => {
    await expectRefused(entry({ available_at: '2025-12-20T15:09:59.999Z' }), /ledger_entries_available_after_occurred/);
  });

  it('refuse an entry that names no recorded event', async () => {
    await expectRefused(
      sql`INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
          VALUES (987654321, ${RESTAURANT_ID}, 'PEN', 'sale', 100, '2025-12-20T15:10:00Z', '2025-12-20T15:10:00Z')`,
      /foreign key constraint/,
    );
  });
});

describe('processor_events constraints', () => {
  let sequence = 0;
  function event(overrides: { event_type?: string; currency?: string; amount_minor?: number | string; fee_minor?: number | string } = {}) {
    sequence += 1;
    const row = { event_type: 'charge_succeeded', currency: 'PEN', amount_minor: 12000, fee_minor: 600, ...overrides };
    return sql`
      INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, raw_payload)
      VALUES (${`evt_raw_${sequence}`}, ${row.event_type}, ${RESTAURANT_ID}, ${row.currency}, ${row.amount_minor},
              ${row.fee_minor}, '2025-12-20T15:10:00Z', '{}'::jsonb)`;
  }

  it('accept a well-formed charge row (the baseline the refusals below differ from)', async () => {
    expect(await acceptedAndRolledBack(event())).toBe(true);
  });

  it.each(['chargeback', 'payout_created', 'CHARGE_SUCCEEDED'])('refuse unknown event_type %j', async (eventType) => {
    await expectRefused(event({ event_type: eventType }), /processor_events_event_type_known/);
  });

  it.each(['pen', 'PE', 'PENN'])('refuse currency %j', async (currency) => {
    await expectRefused(event({ currency }), /processor_events_currency_format/);
  });

  it('refuse a charge whose fee exceeds its amount', async () => {
    await expectRefused(event({ amount_minor: 100, fee_minor: 101 }), /processor_events_charge_fee_within_amount/);
  });

  it('accept a charge whose fee equals its amount', async () => {
    expect(await acceptedAndRolledBack(event({ amount_minor: 100, fee_minor: 100 }))).toBe(true);
  });

  it.each([
    ['a negative amount', { amount_minor: -1 }, /processor_events_amount_range/],
    ['an amount past 2^53 - 1', { amount_minor: '9007199254740992' }, /processor_events_amount_range/],
    ['a negative fee', { fee_minor: -1 }, /processor_events_fee_range/],
  ])('refuse %s', async (_label, overrides, constraint) => {
    await expectRefused(event(overrides), constraint);
  });

  it('refuse a second event with a known event_id', async () => {
    await expectRefused(
      sql`INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, raw_payload)
          VALUES ('evt_immutable', 'charge_succeeded', ${RESTAURANT_ID}, 'PEN', 1, 0, '2025-12-20T15:10:00Z', '{}'::jsonb)`,
      /processor_events_event_id_key/,
    );
  });
});

describe('restaurants constraints', () => {
  it.each([
    ['with a space', 'res 001'],
    ['of 65 characters', 'r'.repeat(65)],
    ['that is empty', ''],
    ['with a non-ASCII letter', 'rés_001'],
  ])('refuse a restaurant id %s', async (_label, id) => {
    await expectRefused(sql`INSERT INTO restaurants (id, maturity_days) VALUES (${id}, 7)`, /restaurants_id_format/);
  });

  it('accept a restaurant id of 64 characters', async () => {
    expect(await acceptedAndRolledBack(sql`INSERT INTO restaurants (id, maturity_days) VALUES (${'r'.repeat(64)}, 7)`)).toBe(true);
  });

  it.each([
    [-1, /restaurants_maturity_days_range/],
    [366, /restaurants_maturity_days_range/],
  ])('refuse a maturity window of %i days', async (days, constraint) => {
    await expectRefused(sql`INSERT INTO restaurants (id, maturity_days) VALUES ('res_bad_window', ${days})`, constraint);
  });

  it('refuse deleting a restaurant that has events, and keep it', async () => {
    await expectRefused(sql`DELETE FROM restaurants WHERE id = ${RESTAURANT_ID}`, /violates foreign key constraint/);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM restaurants WHERE id = ${RESTAURANT_ID}`.execute(testDb.db);
    expect(rows[0]?.n).toBe(1);
  });
});
