import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { PREPARED_MARKER } from '../src/db/prepared-statements.ts';
import { ingestEvent, type LedgerContext, type LedgerError, openDatabase } from '../src/index.ts';
import { chargeEvent, createTestDatabase, expectLedgerError, fixedClock, refundEvent, type TestDatabase } from './support/index.ts';

/** PostgreSQL only (round trips, named statements, races): vitest.config.ts leaves *.postgres-only files out of the embedded run. */
let testDb: TestDatabase;
let ctx: LedgerContext;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock('2026-01-15T00:00:00Z') });
});
afterAll(() => testDb.close());

async function restaurantCount(ids: readonly string[]): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM restaurants WHERE id IN (${sql.join(ids)})`.execute(testDb.db);
  return rows[0]?.n ?? -1;
}

/** A pool whose clients record every query they send to PostgreSQL, BEGIN and COMMIT included. */
function recordingPool(url: string): { ctx: LedgerContext; sent: string[]; close: () => Promise<void> } {
  const sent: string[] = [];
  class RecordingClient extends pg.Client {
    override query(...args: any[]): any {
      const [text] = args;
      sent.push(typeof text === 'string' ? text.trim().split(/\s+/).slice(0, 5).join(' ') : 'config');
      return Reflect.apply(super.query, this, args);
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c TimeZone=UTC', Client: RecordingClient });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { ctx: { ...ctx, db }, sent, close: () => db.destroy() };
}

describe('round trips of single-event ingestion', () => {
  it('records a new charge, its entries and its new restaurant in one statement, without BEGIN or COMMIT', async () => {
    const recording = recordingPool(testDb.url ?? '');
    try {
      const result = await ingestEvent(recording.ctx, chargeEvent({ event_id: 'rt_new', restaurant_id: 'res_rt_new' }), {});
      expect(result.idempotent).toBe(false);
      expect(result.entries.map((e) => e.entry_type)).toEqual(['sale', 'fee']);
      expect(recording.sent).toEqual([`${PREPARED_MARKER} WITH incoming`]);
      expect(await restaurantCount(['res_rt_new'])).toBe(1);
    } finally {
      await recording.close();
    }
  });

  it('answers a replay and a conflict in one statement each, from the unique index, drawing no id', async () => {
    await ingestEvent(ctx, chargeEvent({ event_id: 'rt_known' }), {});
    const eventIds = sql<{ last_value: string }>`SELECT last_value FROM processor_events_id_seq`;
    const before = (await eventIds.execute(ctx.db)).rows[0]?.last_value;
    const recording = recordingPool(testDb.url ?? '');
    try {
      const replay = await ingestEvent(recording.ctx, chargeEvent({ event_id: 'rt_known' }), {});
      expect(replay.idempotent).toBe(true);
      expect(replay.entries.map((entry) => entry.entry_type)).toEqual(['sale', 'fee']);
      await expectLedgerError(ingestEvent(recording.ctx, chargeEvent({ event_id: 'rt_known', amount: 12001 }), {}), 'EVENT_ID_CONFLICT');
      expect(recording.sent).toEqual([`${PREPARED_MARKER} WITH incoming`, `${PREPARED_MARKER} WITH incoming`]);
    } finally {
      await recording.close();
    }
    // The insert never ran for them: an INSERT … ON CONFLICT would have drawn an id before meeting the row.
    expect((await eventIds.execute(ctx.db)).rows[0]?.last_value).toBe(before);
  });
});

describe('prepared statements on PostgreSQL', () => {
  async function preparedOnOneConnection(preparedStatements: boolean): Promise<string[]> {
    const opened = await openDatabase({ kind: 'postgres', url: testDb.url ?? '', poolSize: 1, preparedStatements });
    try {
      const db = { ...ctx, db: opened.db };
      for (const eventId of ['ps_1', 'ps_2', 'ps_1']) await ingestEvent(db, refundEvent({ event_id: `${eventId}_${preparedStatements}` }), {});
      const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements ORDER BY statement`.execute(opened.db);
      return rows.map((row) => row.statement.slice(0, PREPARED_MARKER.length + 11));
    } finally {
      await opened.close();
    }
  }

  it('prepares each marked statement once per connection, and no other', async () => {
    // A replay is answered by the same statement as a new event: findEventsWithEntries (the other
    // marked one) only reads a delivery that committed while that statement ran.
    expect(await preparedOnOneConnection(true)).toEqual([`${PREPARED_MARKER}\n    WITH i`]);
  });

  it('prepares nothing when turned off', async () => {
    expect(await preparedOnOneConnection(false)).toEqual([]);
  });
});

/**
 * Races the one-statement path cannot settle itself, made to happen for certain: another connection
 * holds an uncommitted write that the statement must wait for, then commits it.
 */
describe('races with a transaction that commits while the statement waits', () => {
  async function whileHeld<T>(hold: (client: pg.Client) => Promise<void>, race: () => Promise<T>): Promise<PromiseSettledResult<T>> {
    const holder = new pg.Client({ connectionString: testDb.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await hold(holder);
      const raced = race();
      await waitForLockWait();
      await holder.query('COMMIT');
      return (await Promise.allSettled([raced]))[0] as PromiseSettledResult<T>;
    } finally {
      await holder.end();
    }
  }

  async function waitForLockWait(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(testDb.db);
      if ((rows[0]?.n ?? 0) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the statement never waited for the held lock');
  }

  it('records an event whose new restaurant another transaction registered meanwhile, with that maturity window', async () => {
    const settled = await whileHeld(
      (holder) => holder.query(`INSERT INTO restaurants (id, name, maturity_days) VALUES ('res_race_unseen', NULL, 3)`).then(() => undefined),
      () => ingestEvent(ctx, chargeEvent({ event_id: 'race_unseen', restaurant_id: 'res_race_unseen' }), {}),
    );
    expect(settled.status).toBe('fulfilled');
    const result = settled.status === 'fulfilled' ? settled.value : undefined;
    expect(result?.idempotent).toBe(false);
    expect(result?.entries.map((e) => e.available_at)).toEqual(['2025-12-23T15:10:00.000Z', '2025-12-23T15:10:00.000Z']);
  });

  it('leaves no restaurant behind for an event_id that a concurrent delivery recorded with other content', async () => {
    const settled = await whileHeld(
      async (holder) => {
        await holder.query(`INSERT INTO restaurants (id, name, maturity_days) VALUES ('res_race_owner', NULL, 7)`);
        await holder.query(
          `INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, raw_payload)
           VALUES ('race_conflict', 'charge_succeeded', 'res_race_owner', 'PEN', 12000, 600, '2025-12-20T15:10:00Z', '{}')`,
        );
      },
      () => ingestEvent(ctx, chargeEvent({ event_id: 'race_conflict', restaurant_id: 'res_race_ghost' }), {}),
    );
    expect(settled.status).toBe('rejected');
    expect(settled.status === 'rejected' && (settled.reason as LedgerError).code).toBe('EVENT_ID_CONFLICT');
    expect(await restaurantCount(['res_race_ghost'])).toBe(0);
    expect(await restaurantCount(['res_race_owner'])).toBe(1);
  });
});


describe('the sessions the server opens', () => {
  it('run in UTC with the measured planner settings: random_page_cost 1.1, no JIT, no parallel workers', async () => {
    const database = await openDatabase({ kind: 'postgres', url: testDb.url ?? '' });
    try {
      const { rows } = await sql<{ tz: string; rpc: string; jit: string; workers: string }>`
        SELECT current_setting('TimeZone') AS tz, current_setting('random_page_cost') AS rpc, current_setting('jit') AS jit,
               current_setting('max_parallel_workers_per_gather') AS workers`.execute(database.db);
      expect(rows[0]).toEqual({ tz: 'UTC', rpc: '1.1', jit: 'off', workers: '0' });
    } finally {
      await database.close();
    }
  });
});
