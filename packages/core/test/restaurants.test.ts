import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestaurant, getRestaurant, ingestEvent, type LedgerContext, updateRestaurant } from '../src/index.ts';
import { chargeEvent, createTestDatabase, fixedClock, type TestDatabase, expectLedgerError } from './support/index.ts';

let testDb: TestDatabase;
let ctx: LedgerContext;

/** Not the contract default of 7, so a test can tell "the context's default" from a hard-coded 7. */
const CONTEXT_DEFAULT_MATURITY_DAYS = 5;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: fixedClock('2026-01-15T00:00:00Z'), defaultMaturityDays: CONTEXT_DEFAULT_MATURITY_DAYS });
});
afterAll(() => testDb.close());

async function restaurantCount(id: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM restaurants WHERE id = ${id}`.execute(testDb.db);
  return rows[0]?.n ?? -1;
}

describe('creating a restaurant', () => {
  it("gives it the context's default maturity window and no name when only the id is given", async () => {
    const created = await createRestaurant(ctx, { restaurant_id: 'res_defaults' });
    expect(created).toMatchObject({ restaurant_id: 'res_defaults', name: null, maturity_days: CONTEXT_DEFAULT_MATURITY_DAYS });
    expect(created.updated_at).toBe(created.created_at);
    expect(Number.isNaN(Date.parse(created.created_at))).toBe(false);
    expect(await getRestaurant(ctx, 'res_defaults')).toEqual(created);
  });

  it('stores the name and maturity window it is given', async () => {
    const created = await createRestaurant(ctx, { restaurant_id: 'res_named', name: 'La Mar Cebichería', maturity_days: 1 });
    expect(created).toMatchObject({ restaurant_id: 'res_named', name: 'La Mar Cebichería', maturity_days: 1 });
    expect(await getRestaurant(ctx, 'res_named')).toEqual(created);
  });

  it('keeps a maturity window of 0 days rather than replacing it with the default', async () => {
    const created = await createRestaurant(ctx, { restaurant_id: 'res_instant', maturity_days: 0 });
    expect(created.maturity_days).toBe(0);
  });

  it('refuses an id that already exists as RESTAURANT_ALREADY_EXISTS and leaves the first one unchanged', async () => {
    const first = await createRestaurant(ctx, { restaurant_id: 'res_twice', name: 'First', maturity_days: 3 });
    const error = await expectLedgerError(
      createRestaurant(ctx, { restaurant_id: 'res_twice', name: 'Second', maturity_days: 10 }),
      'RESTAURANT_ALREADY_EXISTS',
    );
    expect(error.details).toEqual({ restaurant_id: 'res_twice' });
    expect(await getRestaurant(ctx, 'res_twice')).toEqual(first);
    expect(await restaurantCount('res_twice')).toBe(1);
  });

  it('refuses an id already registered by its first processor event', async () => {
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_registers', restaurant_id: 'res_by_event' }), {});
    await expectLedgerError(createRestaurant(ctx, { restaurant_id: 'res_by_event', maturity_days: 1 }), 'RESTAURANT_ALREADY_EXISTS');
    expect((await getRestaurant(ctx, 'res_by_event')).maturity_days).toBe(CONTEXT_DEFAULT_MATURITY_DAYS);
  });
});

describe('getting a restaurant', () => {
  it('refuses an unknown id as RESTAURANT_NOT_FOUND naming it', async () => {
    const error = await expectLedgerError(getRestaurant(ctx, 'res_nowhere'), 'RESTAURANT_NOT_FOUND');
    expect(error.details).toEqual({ restaurant_id: 'res_nowhere' });
    expect(error.message).toMatch(/res_nowhere/);
  });

  it('finds a restaurant registered by its first event, with no name', async () => {
    await ingestEvent(ctx, chargeEvent({ event_id: 'evt_first_sight', restaurant_id: 'res_seen' }), {});
    expect(await getRestaurant(ctx, 'res_seen')).toMatchObject({
      restaurant_id: 'res_seen',
      name: null,
      maturity_days: CONTEXT_DEFAULT_MATURITY_DAYS,
    });
  });
});

describe('updating a restaurant', () => {
  it('changes only the name when only the name is given', async () => {
    const created = await createRestaurant(ctx, { restaurant_id: 'res_rename', name: 'Old', maturity_days: 3 });
    const updated = await updateRestaurant(ctx, { restaurant_id: 'res_rename', name: 'New' });
    expect(updated).toMatchObject({ restaurant_id: 'res_rename', name: 'New', maturity_days: 3, created_at: created.created_at });
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    expect(await getRestaurant(ctx, 'res_rename')).toEqual(updated);
  });

  it('changes only the maturity window when only the window is given', async () => {
    await createRestaurant(ctx, { restaurant_id: 'res_rewindow', name: 'Kept', maturity_days: 3 });
    const updated = await updateRestaurant(ctx, { restaurant_id: 'res_rewindow', maturity_days: 14 });
    expect(updated).toMatchObject({ name: 'Kept', maturity_days: 14 });
    expect(await getRestaurant(ctx, 'res_rewindow')).toEqual(updated);
  });

  it('changes name and maturity window together', async () => {
    await createRestaurant(ctx, { restaurant_id: 'res_both' });
    const updated = await updateRestaurant(ctx, { restaurant_id: 'res_both', name: 'Both', maturity_days: 0 });
    expect(updated).toMatchObject({ name: 'Both', maturity_days: 0 });
    expect(await getRestaurant(ctx, 'res_both')).toEqual(updated);
  });

  it('clears the name when it is set to null', async () => {
    await createRestaurant(ctx, { restaurant_id: 'res_unname', name: 'Temporary', maturity_days: 2 });
    const updated = await updateRestaurant(ctx, { restaurant_id: 'res_unname', name: null });
    expect(updated).toMatchObject({ name: null, maturity_days: 2 });
    expect((await getRestaurant(ctx, 'res_unname')).name).toBeNull();
  });

  it('never moves updated_at backwards, nor before created_at, over successive updates', async () => {
    const created = await createRestaurant(ctx, { restaurant_id: 'res_many_updates' });
    let previous = created.updated_at;
    for (const maturityDays of [1, 2, 3]) {
      const updated = await updateRestaurant(ctx, { restaurant_id: 'res_many_updates', maturity_days: maturityDays });
      expect(updated.created_at).toBe(created.created_at);
      expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(previous));
      expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(updated.created_at));
      previous = updated.updated_at;
    }
    expect((await getRestaurant(ctx, 'res_many_updates')).maturity_days).toBe(3);
  });

  it('refuses an unknown id as RESTAURANT_NOT_FOUND and does not create it', async () => {
    const error = await expectLedgerError(updateRestaurant(ctx, { restaurant_id: 'res_ghost', name: 'Ghost' }), 'RESTAURANT_NOT_FOUND');
    expect(error.details).toEqual({ restaurant_id: 'res_ghost' });
    expect(await restaurantCount('res_ghost')).toBe(0);
  });
});
