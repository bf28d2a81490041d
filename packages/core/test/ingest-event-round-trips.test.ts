import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvent, type LedgerContext, type LedgerError } from '../src/index.ts';
import { chargeEvent, createTestDatabase, fixedClock, type TestDatabase } from './support/index.ts';

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

async function entryCount(eventId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM ledger_entries le JOIN processor_events pe ON pe.id = le.processor_event_id
     WHERE pe.event_id = ${eventId}`.execute(testDb.db);
  return rows[0]?.n ?? -1;
}

describe('concurrent first deliveries naming new restaurants', () => {
  it('of one event give one record, one set of entries and one restaurant', async () => {
    const pool = testDb.openPool(30);
    const raceCtx = { ...ctx, db: pool };
    const results = await Promise.all(
      Array.from({ length: 30 }, () => ingestEvent(raceCtx, chargeEvent({ event_id: 'race_new_rest', restaurant_id: 'res_race_new' }), {})),
    );
    expect(results.filter((r) => !r.idempotent)).toHaveLength(1);
    expect(await entryCount('race_new_rest')).toBe(2);
    expect(await restaurantCount(['res_race_new'])).toBe(1);
  });

  it('of one event_id, each naming its own new restaurant, register only the recorded one', async () => {
    const pool = testDb.openPool(20);
    const raceCtx = { ...ctx, db: pool };
    const restaurants = Array.from({ length: 20 }, (_, i) => `res_race_each_${i}`);
    const outcomes = await Promise.allSettled(
      restaurants.map((restaurant_id) => ingestEvent(raceCtx, chargeEvent({ event_id: 'race_each', restaurant_id }), {})),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected' && (o.reason as LedgerError).code === 'EVENT_ID_CONFLICT')).toHaveLength(19);
    expect(await restaurantCount(restaurants)).toBe(1);
    expect(await entryCount('race_each')).toBe(2);
  });
});
