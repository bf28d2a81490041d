import { z } from 'zod';
import { isStorableString, UNSTORABLE_STRING_MESSAGE } from '../json-safety.ts';
import { MATURITY_DAYS_MAX, RESTAURANT_NAME_LENGTH_MAX } from '../limits.ts';
import { restaurantIdSchema } from '../shared-schemas.ts';

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

export const restaurantIdInputSchema = z.strictObject({ restaurant_id: restaurantIdSchema });

export const createRestaurantInputSchema = z
  .strictObject({
    restaurant_id: restaurantIdSchema,
    name: nameSchema.optional(),
    maturity_days: maturityDaysSchema.optional(),
  })
  .meta({ id: 'CreateRestaurant' });
export type CreateRestaurantInput = z.output<typeof createRestaurantInputSchema>;

export const updateRestaurantInputSchema = z
  .strictObject({
    restaurant_id: restaurantIdSchema,
    name: nameSchema.nullable().optional(),
    maturity_days: maturityDaysSchema.optional(),
  })
  .refine((input) => input.name !== undefined || input.maturity_days !== undefined, {
    message: 'give at least one of name, maturity_days',
  })
  .meta({ id: 'UpdateRestaurant' });
export type UpdateRestaurantInput = z.output<typeof updateRestaurantInputSchema>;

export const restaurantSchema = z
  .object({
    restaurant_id: z.string(),
    name: z.string().nullable(),
    maturity_days: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Restaurant' });
export type Restaurant = z.output<typeof restaurantSchema>;
