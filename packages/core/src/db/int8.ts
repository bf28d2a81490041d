import { LedgerError } from '../errors.ts';

/**
 * The one place int8 (and numeric sums) become JavaScript numbers. node-postgres returns int8 as a
 * string and PGlite as a number or bigint; whatever arrives, a value outside the safe-integer range
 * is refused rather than rounded, so money never passes through a lossy conversion.
 */
export function int8ToSafeInteger(value: string | number | bigint): number {
  const asBigInt = typeof value === 'bigint' ? value : BigInt(value);
  if (asBigInt > BigInt(Number.MAX_SAFE_INTEGER) || asBigInt < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new LedgerError('INTERNAL_ERROR', 'An amount exceeds the safe integer range', {
      reason: 'int8_out_of_safe_range',
    });
  }
  return Number(asBigInt);
}

/** Ids are int8 in the database and strings on the wire, so they never need the safe range. */
export function int8ToId(value: string | number | bigint): string {
  return typeof value === 'string' ? value : BigInt(value).toString();
}
