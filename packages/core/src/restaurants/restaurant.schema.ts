import { z } from 'zod';
import { isStorableString, UNSTORABLE_STRING_MESSAGE } from '../json-safety.ts';
import { MATURITY_DAYS_MAX, RESERVE_DAYS_MAX, RESERVE_PERCENT_MAX, RESTAURANT_NAME_LENGTH_MAX } from '../limits.ts';
import { currencySchema, minorUnitsSchema, restaurantIdSchema } from '../shared-schemas.ts';

const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(RESTAURANT_NAME_LENGTH_MAX)
  .refine(isStorableString, UNSTORABLE_STRING_MESSAGE)
  .meta({ example: 'La Mar Cebichería' });
const maturityDaysSchema = z
  .number()
  .int()
  .min(0)
  .max(MATURITY_DAYS_MAX)
  .meta({ description: 'Days a sale waits before it can be paid out (applies to events received from now on)', example: 7 });

const reservePercentSchema = z
  .number()
  .int()
  .min(0)
  .max(RESERVE_PERCENT_MAX)
  .meta({ description: 'Basis points (0-10000) of each charge recorded from now on held in reserve; 0: no reserve', example: 1000 });
const reserveDaysSchema = z
  .number()
  .int()
  .min(0)
  .max(RESERVE_DAYS_MAX)
  .meta({ description: 'Days the reserve is held after the sale matures', example: 30 });

/** When the scheduler pays the restaurant (docs/settlement-settings.md); every day is a UTC date. */
export const payoutScheduleSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('manual') }),
    z.strictObject({ kind: z.literal('daily') }),
    z.strictObject({ kind: z.literal('weekly'), weekday: z.number().int().min(1).max(7).meta({ description: 'ISO weekday, 1 = Monday … 7 = Sunday' }) }),
    z.strictObject({ kind: z.literal('monthly'), day: z.number().int().min(1).max(28).meta({ description: 'Day of the month, 1-28 (every month has it)' }) }),
  ])
  .meta({
    id: 'PayoutSchedule',
    description: 'manual (the default: only POST /v1/payouts/run pays), daily, weekly on an ISO weekday, or monthly on a day 1-28',
    example: { kind: 'weekly', weekday: 1 },
  });
export type PayoutSchedule = z.output<typeof payoutScheduleSchema>;

export const payoutMinimumSchema = z
  .record(currencySchema, minorUnitsSchema(0))
  .meta({ description: 'Per currency, the least a payout pays (minor units); a currency not listed: 0. Replaces the whole map.', example: { PEN: 20000 } });

/** The settlement settings, each optional: what POST and PATCH may set beside name and maturity_days. */
const settlementSettingsShape = {
  reserve_percent: reservePercentSchema.optional(),
  reserve_days: reserveDaysSchema.optional(),
  payout_schedule: payoutScheduleSchema.optional(),
  payout_minimum: payoutMinimumSchema.optional(),
};

export const restaurantIdInputSchema = z.strictObject({ restaurant_id: restaurantIdSchema });

export const createRestaurantInputSchema = z
  .strictObject({
    restaurant_id: restaurantIdSchema,
    name: nameSchema.optional(),
    maturity_days: maturityDaysSchema.optional(),
    ...settlementSettingsShape,
  })
  .meta({ id: 'CreateRestaurant' });
export type CreateRestaurantInput = z.output<typeof createRestaurantInputSchema>;

export const updateRestaurantInputSchema = z
  .strictObject({
    restaurant_id: restaurantIdSchema,
    name: nameSchema.nullable().optional(),
    maturity_days: maturityDaysSchema.optional(),
    ...settlementSettingsShape,
  })
  .refine((input) => Object.entries(input).some(([key, value]) => key !== 'restaurant_id' && value !== undefined), {
    message: `give at least one of name, maturity_days, ${Object.keys(settlementSettingsShape).join(', ')}`,
  })
  .meta({ id: 'UpdateRestaurant' });
export type UpdateRestaurantInput = z.output<typeof updateRestaurantInputSchema>;

export const restaurantSchema = z
  .object({
    restaurant_id: z.string(),
    name: z.string().nullable(),
    maturity_days: z.number().int(),
    reserve_percent: z.number().int().meta({ description: 'Basis points of each new charge held in reserve' }),
    reserve_days: z.number().int().meta({ description: 'Days the reserve is held after the sale matures' }),
    payout_schedule: payoutScheduleSchema,
    payout_minimum: z.record(z.string(), z.number().int()).meta({ description: 'Per currency, the least a payout pays; missing: 0' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Restaurant' });
export type Restaurant = z.output<typeof restaurantSchema>;
