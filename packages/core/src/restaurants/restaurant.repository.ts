import { sql } from 'kysely';
import type { LedgerDb, LedgerTransaction } from '../db/database.ts';
import type { EntrySettings } from '../events/event-type.ts';

const RESTAURANT_COLUMNS = [
  'id',
  'name',
  'maturity_days',
  'reserve_percent',
  'reserve_days',
  'payout_schedule_kind',
  'payout_schedule_weekday',
  'payout_schedule_day',
  'payout_minimum',
  'created_at',
  'updated_at',
] as const;

export interface RestaurantRow {
  id: string;
  name: string | null;
  maturity_days: number;
  reserve_percent: number;
  reserve_days: number;
  payout_schedule_kind: string;
  payout_schedule_weekday: number | null;
  payout_schedule_day: number | null;
  payout_minimum: Record<string, number>;
  created_at: Date;
  updated_at: Date;
}

/** The columns a change may set; payout_minimum as JSON text. */
export interface RestaurantChanges {
  name?: string | null;
  maturity_days?: number;
  reserve_percent?: number;
  reserve_days?: number;
  payout_schedule_kind?: string;
  payout_schedule_weekday?: number | null;
  payout_schedule_day?: number | null;
  payout_minimum?: string;
}

export function findRestaurant(db: LedgerDb, id: string): Promise<RestaurantRow | undefined> {
  return db.selectFrom('restaurants').select(RESTAURANT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Inserts the restaurant unless it exists; returns the row only when this call created it. */
export function insertRestaurantIfNew(
  db: LedgerDb,
  row: RestaurantChanges & { id: string; name: string | null; maturity_days: number },
): Promise<RestaurantRow | undefined> {
  return db
    .insertInto('restaurants')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(RESTAURANT_COLUMNS)
    .executeTakeFirst();
}

/**
 * Registers a restaurant on its first event and returns the settings its entries are written with.
 * The insert does not lock an existing row; when it finds one (or waits for a concurrent insert to
 * commit) the second statement reads it with a fresh snapshot.
 */
export async function registerRestaurant(trx: LedgerTransaction, id: string, defaultMaturityDays: number): Promise<EntrySettings> {
  const settings = (await registerRestaurants(trx, [id], defaultMaturityDays)).settings.get(id);
  if (settings === undefined) throw new Error(`restaurant ${id} was neither inserted nor found`);
  return settings;
}

const SETTINGS_COLUMNS = ['id', 'maturity_days', 'reserve_percent', 'reserve_days'] as const;

/**
 * registerRestaurant for many ids: one insert for all, one read for those that existed. Pass the
 * ids sorted, so that concurrent callers take the primary key's locks in the same order.
 * `created` lists the ids this call inserted.
 */
export async function registerRestaurants(
  trx: LedgerTransaction,
  ids: readonly string[],
  defaultMaturityDays: number,
): Promise<{ settings: Map<string, EntrySettings>; created: Set<string> }> {
  if (ids.length === 0) return { settings: new Map(), created: new Set() };
  const inserted = await trx
    .insertInto('restaurants')
    .values(ids.map((id) => ({ id, name: null, maturity_days: defaultMaturityDays })))
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(SETTINGS_COLUMNS)
    .execute();
  const created = new Set(inserted.map((row) => row.id));
  const existingIds = ids.filter((id) => !created.has(id));
  const existing =
    existingIds.length === 0 ? [] : await trx.selectFrom('restaurants').select(SETTINGS_COLUMNS).where('id', 'in', existingIds).execute();
  const settings = [...inserted, ...existing].map((row): [string, EntrySettings] => [
    row.id,
    { maturityDays: row.maturity_days, reservePercent: row.reserve_percent, reserveDays: row.reserve_days },
  ]);
  return { settings: new Map(settings), created };
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
  changes: RestaurantChanges,
): Promise<RestaurantRow | undefined> {
  return db
    .updateTable('restaurants')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(RESTAURANT_COLUMNS)
    .executeTakeFirst();
}
