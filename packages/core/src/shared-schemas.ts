import { z } from 'zod';
import { AMOUNT_MINOR_MAX, OCCURRED_AT_MIN } from './limits.ts';

/** Field schemas shared by several features, each with the rule the contract states. */

export const restaurantIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'restaurant_id must be 1-64 characters of A-Z, a-z, 0-9, _ or -')
  .meta({ description: 'Restaurant id', example: 'res_001' });

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code such as PEN')
  .meta({ description: 'ISO 4217 currency code', example: 'PEN' });

/**
 * Minor units as a JSON integer from `min` to 2^53-1; values JSON cannot carry exactly are refused,
 * never rounded. Range checks come first so that 2^53 is reported as too large, not as fractional.
 */
export function minorUnitsSchema(min: 0 | 1) {
  return z
    .number({ error: 'must be a number: an integer count of minor units' })
    .min(min, min === 0 ? 'must not be negative' : 'must be at least 1')
    .max(AMOUNT_MINOR_MAX, `must be at most ${AMOUNT_MINOR_MAX} (larger values cannot be represented exactly)`)
    .int('must be a whole number of minor units');
}

/** A signed money figure in a response (balances, entries). */
export const signedMinorSchema = z.number().int().meta({ description: 'Signed amount in minor units' });

export const isoDateTimeSchema = z.iso.datetime({ offset: true });

const dateOnlySchema = z.iso.date();

const EARLIEST_DAY = OCCURRED_AT_MIN.slice(0, 10);

/** A payout day (`as_of` of a payout run or of Q3): a calendar date no earlier than any event can be. */
export const payoutDaySchema = z
  .iso.date({ error: 'as_of must be a date, YYYY-MM-DD' })
  .refine((day) => day >= EARLIEST_DAY, `as_of must be ${EARLIEST_DAY} or later`);

export const AS_OF_MESSAGE =
  'as_of must be an ISO-8601 date-time with an offset (2025-12-27T15:10:00Z, 2025-12-27T10:10:00-05:00; ' +
  'in a URL write + as %2B) or a date (2025-12-27, meaning the end of that day in UTC)';

/**
 * A point in time for `as_of`: an ISO-8601 date-time with offset, or a date meaning the end of that
 * UTC day. A positive offset whose `+` arrived as a space (an unencoded query string) is read as `+`.
 */
export const asOfSchema = z
  .string()
  .transform((value, ctx) => {
    const repaired = value.replace(/ (\d{2}:\d{2})$/, '+$1');
    if (dateOnlySchema.safeParse(repaired).success) return new Date(`${repaired}T23:59:59.999Z`);
    if (isoDateTimeSchema.safeParse(repaired).success) return new Date(repaired);
    ctx.addIssue({ code: 'custom', message: AS_OF_MESSAGE });
    return z.NEVER;
  })
  .meta({
    description: 'ISO-8601 date-time with offset, or a date (YYYY-MM-DD) meaning the end of that day in UTC',
    example: '2025-12-27T23:59:59Z',
  });

/**
 * A numeric query parameter: query strings arrive as text and `Number()` reads `0x10` as 16,
 * `1e1` as 10 and ` 7` as 7, so text must be plain decimal digits before `schema` coerces it. A
 * number (the SDK sends JSON numbers) passes as it is. The check is a transform so that the
 * OpenAPI document still shows `schema` (an integer with its bounds); give a default with
 * `.prefault()`, which the document keeps, where `.default()` after a transform is dropped from it.
 */
export function decimalQueryNumber<T extends z.ZodType<number, number>>(schema: T) {
  return z
    .transform((raw: number, ctx) => {
      if (typeof raw === 'string' && !/^\d+$/.test(raw)) {
        ctx.issues.push({ code: 'custom', message: 'must be written in decimal digits only', input: raw });
      }
      return raw;
    })
    .pipe(schema);
}
