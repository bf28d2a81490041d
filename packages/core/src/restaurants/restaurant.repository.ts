import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';

const RESTAURANT_COLUMNS = ['id', 'name', 'maturity_days', 'created_at', 'updated_at'] as const;

export interface RestaurantRow {
  id: string;
  name: string | null;
  maturity_days: number;
  created_at: Date;
  updated_at: Date;
}

export function findRestaurant(db: LedgerDb, id: string): Promise<RestaurantRow | undefined> {
  return db.selectFrom('restaurants').select(RESTAURANT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Inserts the restaurant unless it exists; returns the row only when this call created it. */
export function insertRestaurantIfNew(
  db: LedgerDb,
  row: { id: string; name: string | null; maturity_days: number },
): Promise<RestaurantRow | undefined> {
  return db
    .insertInto('restaurants')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(RESTAURANT_COLUMNS)
    .executeTakeFirst();
}

/**
 * Registers a restaurant on its first event and returns its maturity window. The insert does not
 * lock an existing row; when it finds one (or waits for a concurrent insert to commit) the second
 * statement reads it with a fresh snapshot.
 */
export async function registerRestaurant(
  trx: LedgerTransaction,
  id: string,
  defaultMaturityDays: number,
): Promise<{ maturityDays: number }> {
  const { maturityDays } = await registerRestaurants(trx, [id], defaultMaturityDays);
  const days = maturityDays.get(id);
  if (days === undefined) throw new Error(`restaurant ${id} was neither inserted nor found`);
  return { maturityDays: days };
}

/**
 * registerRestaurant for many ids: one insert for all, one read for those that existed. Pass the
 * ids sorted, so that concurrent callers take the primary key's locks in the same order.
 * `created` lists the ids this call inserted.
 */
export async function registerRestaurants(
  trx: LedgerTransaction,
  ids: readonly string[],
  defaultMaturityDays: number,
): Promise<{ maturityDays: Map<string, number>; created: Set<string> }> {
  if (ids.length === 0) return { maturityDays: new Map(), created: new Set() };
  const inserted = await trx
    .insertInto('restaurants')
    .values(ids.map((id) => ({ id, name: null, maturity_days: defaultMaturityDays })))
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(['id', 'maturity_days'])
    .execute();
  const created = new Set(inserted.map((row) => row.id));
  const existingIds = ids.filter((id) => !created.has(id));
  const existing =
    existingIds.length === 0
      ? []
      : await trx.selectFrom('restaurants').select(['id', 'maturity_days']).where('id', 'in', existingIds).execute();
  return { maturityDays: new Map([...inserted, ...existing].map((row) => [row.id, row.maturity_days])), created };
}

/**
 * Removes restaurants this transaction registered for events it then refused (conflicts), so a
 * refused event leaves nothing behind. A restaurant any event names is kept.
 */
export async function deleteRestaurantsWithoutEvents(trx: LedgerTransaction, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await trx
    .deleteFrom('restaurants')
    .where('id', 'in', ids)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('processor_events').select('processor_events.id').whereRef('processor_events.restaurant_id', '=', 'restaurants.id'))),
    )
    .execute();
}

export function updateRestaurantRow(
  db: LedgerDb,
  id: string,
  changes: { name?: string | null; maturity_days?: number },
): Promise<RestaurantRow | undefined> {
  return db
    .updateTable('restaurants')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(RESTAURANT_COLUMNS)
    .executeTakeFirst();
}
