import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { findRestaurant, insertRestaurantIfNew, type RestaurantRow, updateRestaurantRow } from './restaurant.repository.ts';
import type { CreateRestaurantInput, Restaurant, UpdateRestaurantInput } from './restaurant.schema.ts';

/** @throws LedgerError RESTAURANT_NOT_FOUND */
export async function getRestaurant(ctx: LedgerContext, restaurantId: string): Promise<Restaurant> {
  const row = await findRestaurant(ctx.db, restaurantId);
  if (row === undefined) throw restaurantNotFound(restaurantId);
  return toRestaurant(row);
}

/**
 * Registers a restaurant ahead of its first event (a single statement, so no transaction).
 * @throws LedgerError RESTAURANT_ALREADY_EXISTS
 */
export async function createRestaurant(ctx: LedgerContext, input: CreateRestaurantInput): Promise<Restaurant> {
  const row = await insertRestaurantIfNew(ctx.db, {
    id: input.restaurant_id,
    name: input.name ?? null,
    maturity_days: input.maturity_days ?? ctx.defaultMaturityDays,
  });
  if (row === undefined) {
    throw new LedgerError('RESTAURANT_ALREADY_EXISTS', `restaurant ${input.restaurant_id} already exists`, {
      restaurant_id: input.restaurant_id,
    });
  }
  return toRestaurant(row);
}

/**
 * Changes name and/or maturity window. A new window applies to events received afterwards;
 * entries already written keep their available_at (the ledger is never rewritten).
 * @throws LedgerError RESTAURANT_NOT_FOUND
 */
export async function updateRestaurant(ctx: LedgerContext, input: UpdateRestaurantInput): Promise<Restaurant> {
  const { restaurant_id, ...changes } = input;
  const row = await updateRestaurantRow(ctx.db, restaurant_id, changes);
  if (row === undefined) throw restaurantNotFound(restaurant_id);
  return toRestaurant(row);
}

export function restaurantNotFound(restaurantId: string): LedgerError {
  return new LedgerError('RESTAURANT_NOT_FOUND', `restaurant ${restaurantId} not found`, { restaurant_id: restaurantId });
}

function toRestaurant(row: RestaurantRow): Restaurant {
  return {
    restaurant_id: row.id,
    name: row.name,
    maturity_days: row.maturity_days,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
