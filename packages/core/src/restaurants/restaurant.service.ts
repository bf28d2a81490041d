import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { findRestaurant, insertRestaurantIfNew, type RestaurantChanges, type RestaurantRow, updateRestaurantRow } from './restaurant.repository.ts';
import type { CreateRestaurantInput, PayoutSchedule, Restaurant, UpdateRestaurantInput } from './restaurant.schema.ts';

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
  const { restaurant_id, name, maturity_days, ...settings } = input;
  const row = await insertRestaurantIfNew(ctx.db, {
    id: restaurant_id,
    name: name ?? null,
    maturity_days: maturity_days ?? ctx.defaultMaturityDays,
    ...settingColumns(settings),
  });
  if (row === undefined) {
    throw new LedgerError('RESTAURANT_ALREADY_EXISTS', `restaurant ${input.restaurant_id} already exists`, {
      restaurant_id: input.restaurant_id,
    });
  }
  return toRestaurant(row);
}

/**
 * Changes name, maturity window and/or settlement settings (docs/settlement-settings.md). A new
 * window or reserve applies to charges recorded afterwards; entries already written keep their
 * amounts and available_at (the ledger is never rewritten). A schedule or minimum applies to the
 * next payout decided.
 * @throws LedgerError RESTAURANT_NOT_FOUND
 */
export async function updateRestaurant(ctx: LedgerContext, input: UpdateRestaurantInput): Promise<Restaurant> {
  const { restaurant_id, name, maturity_days, ...settings } = input;
  const changes = { ...(name !== undefined && { name }), ...(maturity_days !== undefined && { maturity_days }), ...settingColumns(settings) };
  const row = await updateRestaurantRow(ctx.db, restaurant_id, changes);
  if (row === undefined) throw restaurantNotFound(restaurant_id);
  return toRestaurant(row);
}

export function restaurantNotFound(restaurantId: string): LedgerError {
  return new LedgerError('RESTAURANT_NOT_FOUND', `restaurant ${restaurantId} not found`, { restaurant_id: restaurantId });
}

type SettlementSettings = Pick<UpdateRestaurantInput, 'reserve_percent' | 'reserve_days' | 'payout_schedule' | 'payout_minimum'>;

/** The columns that hold the settings given (those not given are left out, so they do not change). */
function settingColumns(settings: SettlementSettings): RestaurantChanges {
  const { reserve_percent, reserve_days, payout_schedule, payout_minimum } = settings;
  return {
    ...(reserve_percent !== undefined && { reserve_percent }),
    ...(reserve_days !== undefined && { reserve_days }),
    ...(payout_schedule !== undefined && {
      payout_schedule_kind: payout_schedule.kind,
      payout_schedule_weekday: payout_schedule.kind === 'weekly' ? payout_schedule.weekday : null,
      payout_schedule_day: payout_schedule.kind === 'monthly' ? payout_schedule.day : null,
    }),
    ...(payout_minimum !== undefined && { payout_minimum: JSON.stringify(payout_minimum) }),
  };
}

function scheduleOf(row: RestaurantRow): PayoutSchedule {
  const { payout_schedule_kind: kind, payout_schedule_weekday: weekday, payout_schedule_day: day } = row;
  if (kind === 'weekly' && weekday !== null) return { kind, weekday };
  if (kind === 'monthly' && day !== null) return { kind, day };
  if (kind === 'daily' || kind === 'manual') return { kind };
  throw new Error(`restaurant ${row.id} has a schedule the database should have refused: ${kind}`);
}

function toRestaurant(row: RestaurantRow): Restaurant {
  return {
    restaurant_id: row.id,
    name: row.name,
    maturity_days: row.maturity_days,
    reserve_percent: row.reserve_percent,
    reserve_days: row.reserve_days,
    payout_schedule: scheduleOf(row),
    payout_minimum: row.payout_minimum,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
