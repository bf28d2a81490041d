import { z } from 'zod';
import { asOfSchema, currencySchema, restaurantIdSchema, signedMinorSchema } from '../shared-schemas.ts';

/** Strict: a misspelt parameter (asOf) is refused rather than silently answered as of now. */
export const balanceQuerySchema = z.strictObject({
  restaurant_id: restaurantIdSchema,
  currency: currencySchema,
  as_of: asOfSchema.optional(),
});
export type BalanceQuery = z.output<typeof balanceQuerySchema>;

export const balanceSchema = z
  .object({
    restaurant_id: z.string(),
    currency: z.string(),
    available: signedMinorSchema.meta({ description: 'Sum of counted entries with available_at <= as_of' }),
    pending: signedMinorSchema.meta({ description: 'Sum of counted entries not yet available at as_of, reserve releases excepted' }),
    reserved: signedMinorSchema.meta({ description: 'Sum of counted reserve_release entries not yet available at as_of' }),
    total: signedMinorSchema.meta({ description: 'available + pending + reserved: the sum of every counted entry' }),
    last_event_at: z.string().nullable().meta({ description: 'Latest occurred_at among counted entries' }),
    as_of: z.string(),
  })
  .meta({ id: 'Balance' });
export type Balance = z.output<typeof balanceSchema>;
