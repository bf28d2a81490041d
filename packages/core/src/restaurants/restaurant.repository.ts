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
  const created = await insertRestaurantIfNew(trx, { id, name: null, maturity_days: defaultMaturityDays });
  if (created !== undefined) return { maturityDays: created.maturity_days };
  const existing = await trx
    .selectFrom('restaurants')
    .select('maturity_days')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { maturityDays: existing.maturity_days };
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
