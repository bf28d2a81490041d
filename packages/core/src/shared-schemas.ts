import { z } from 'zod';
import { AMOUNT_MINOR_MAX } from './limits.ts';

/** Field schemas shared by several features, each with the rule the contract states. */

export const restaurantIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'restaurant_id must be 1-64 characters of A-Z, a-z, 0-9, _ or -')
  .meta({ description: 'Restaurant id', example: 'res_001' });

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code such as PEN')
  .meta({ description: 'ISO 4217 currency code', example: 'PEN' });

/** Minor units as a JSON integer; values JSON cannot carry exactly are refused, never rounded. */
export const amountMinorSchema = z
  .number()
  .int('must be an integer count of minor units')
  .min(0, 'must not be negative')
  .max(AMOUNT_MINOR_MAX, `must be at most ${AMOUNT_MINOR_MAX} (larger values cannot be represented exactly)`);

/** A signed money figure in a response (balances, entries). */
export const signedMinorSchema = z.number().int().meta({ description: 'Signed amount in minor units' });

export const isoDateTimeSchema = z.iso.datetime({ offset: true });

/** A point in time for `as_of`: an ISO-8601 date-time, or a date meaning the end of that UTC day. */
export const asOfSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((value) => (value.length === 10 ? new Date(`${value}T23:59:59.999Z`) : new Date(value)))
  .meta({
    description: 'ISO-8601 date-time, or a date (YYYY-MM-DD) meaning the end of that day in UTC',
    example: '2025-12-27T23:59:59Z',
  });
