import { z } from 'zod';
import { cursorParamSchema } from '../cursor.ts';
import { asOfSchema, currencySchema, decimalQueryNumber, restaurantIdSchema, signedMinorSchema } from '../shared-schemas.ts';
import { ENTRY_TYPES } from '../events/event.schema.ts';
import { STATEMENT_PAGE_LIMIT_DEFAULT, STATEMENT_PAGE_LIMIT_MAX } from '../limits.ts';

export const statementQuerySchema = z.strictObject({
  restaurant_id: restaurantIdSchema,
  currency: currencySchema,
  from: asOfSchema.optional().meta({ description: 'Entries that occurred at or after this moment (a date means the end of that day)' }),
  to: asOfSchema.optional().meta({ description: 'Entries that occurred at or before this moment (a date means the end of that day)' }),
  cursor: cursorParamSchema,
  limit: decimalQueryNumber(z.coerce.number<number>().int().min(1).max(STATEMENT_PAGE_LIMIT_MAX)).prefault(STATEMENT_PAGE_LIMIT_DEFAULT),
  format: z.enum(['json', 'csv']).default('json').meta({ description: 'csv streams the whole range (limit and cursor do not apply)' }),
});
export type StatementQuery = z.output<typeof statementQuerySchema>;

export const statementLineSchema = z.object({
  entry_id: z.string(),
  entry_type: z.enum(ENTRY_TYPES),
  amount: signedMinorSchema,
  occurred_at: z.string(),
  available_at: z.string(),
  event_id: z.string().nullable(),
  payout_id: z.string().nullable(),
  running_balance: signedMinorSchema.meta({ description: 'Sum of every entry up to and including this one, from the very first' }),
});
export type StatementLine = z.output<typeof statementLineSchema>;

export const statementSchema = z
  .object({
    restaurant_id: z.string(),
    currency: z.string(),
    items: z.array(statementLineSchema),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'Statement' });
export type Statement = z.output<typeof statementSchema>;
