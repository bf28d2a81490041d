import { LedgerError } from '../errors.ts';

/**
 * An int8 column (or a numeric SUM of one) as a driver hands it back: node-postgres gives a string,
 * PGlite a number or a bigint. Every repository row types its int8 columns with this, and reads
 * them only through the conversions below, which refuse to round.
 */
export type Int8Value = string | number | bigint;

/**
 * The one place int8 (and numeric sums) become JavaScript numbers. node-postgres returns int8 as a
 * string and PGlite as a number or bigint; whatever arrives, a value outside the safe-integer range
 * is refused rather than rounded, so money never passes through a lossy conversion.
 * @throws LedgerError AMOUNT_OUT_OF_RANGE: each amount is at most 2^53-1, but a sum of them can pass
 * it, and JSON cannot carry such a figure exactly.
 */
export function int8ToSafeInteger(value: Int8Value): number {
  const asBigInt = int8ToBigInt(value);
  if (!isSafeMinor(asBigInt)) {
    throw new LedgerError(
      'AMOUNT_OUT_OF_RANGE',
      'A figure here exceeds 2^53-1 minor units, more than a JSON number carries exactly; integrity report (Q4) lists the restaurant as BALANCE_OUT_OF_RANGE',
      { limit: Number.MAX_SAFE_INTEGER },
    );
  }
  return Number(asBigInt);
}

/** int8 or a numeric sum, exactly, for arithmetic that must not round. */
export function int8ToBigInt(value: Int8Value): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}

/** Whether a figure fits in the -(2^53-1)..2^53-1 range that JSON numbers carry exactly. */
export function isSafeMinor(value: bigint): boolean {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER);
}

/** Ids are int8 in the database and strings on the wire, so they never need the safe range. */
export function int8ToId(value: Int8Value): string {
  return typeof value === 'string' ? value : BigInt(value).toString();
}
