import { z } from 'zod';

/** Payout and run ids are int8 in the database and decimal strings on the wire. */
const ID_FORMAT = /^[1-9][0-9]{0,17}$/;

/** The id when `value` can name a row, else undefined (a malformed id is simply "not found"). */
export function parsePayoutId(value: string): string | undefined {
  return ID_FORMAT.test(value) ? value : undefined;
}

/** A keyset position by id, as the payout and run listings put it in their cursors. */
export const idPositionSchema = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,18}$/) });
