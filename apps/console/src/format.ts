/**
 * Money and time as the console shows them. Amounts arrive in minor units (integers: JSON numbers
 * within 2^53, or strings for anything wider) and are turned into major units by moving the decimal
 * point in a BigInt, never by dividing a float, so every digit the ledger holds is the digit shown.
 */

/** One fixed locale, so finance reads the same digits on every machine (and the tests can compare). */
const LOCALE = 'en-US';

/** Minor units are whole numbers: an optional minus and digits, nothing else. */
const MINOR_UNITS = /^-?\d+$/;

export type MinorUnits = number | string | bigint;

/** The amount as a BigInt; refuses fractions, NaN, unsafe numbers and anything not an integer. */
export function toBigIntMinor(amount: MinorUnits): bigint {
  if (typeof amount === 'bigint') return amount;
  if (typeof amount === 'number') {
    if (!Number.isSafeInteger(amount)) throw new RangeError(`not a safe integer amount of minor units: ${amount}`);
    return BigInt(amount);
  }
  if (!MINOR_UNITS.test(amount)) throw new RangeError(`not an amount of minor units: ${JSON.stringify(amount)}`);
  return BigInt(amount);
}

const exponents = new Map<string, number>();

/** Digits after the decimal point of the currency (ISO 4217: PEN 2, JPY 0, KWD 3), as Intl knows them. */
export function currencyExponent(currency: string): number {
  let exponent = exponents.get(currency);
  if (exponent === undefined) {
    exponent = new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    exponents.set(currency, exponent);
  }
  return exponent;
}

/** `12345` PEN → `"123.45"`; `-5` → `"-0.05"`; exact for any size. */
export function minorToDecimal(amount: MinorUnits, currency: string): string {
  const value = toBigIntMinor(amount);
  const exponent = currencyExponent(currency);
  const digits = (value < 0n ? -value : value).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${value < 0n ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * `12345` PEN → `"PEN 123.45"`, `-400000` → `"-PEN 4,000.00"`. Intl formats the decimal string
 * itself (an exact decimal, not a float), so grouping and signs come from the locale.
 */
export function formatMoney(amount: MinorUnits, currency: string): string {
  let formatter = formatters.get(currency);
  if (formatter === undefined) {
    const exponent = currencyExponent(currency);
    formatter = new Intl.NumberFormat(LOCALE, {
      style: 'currency',
      currency,
      currencyDisplay: 'code',
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    formatters.set(currency, formatter);
  }
  // Intl.NumberFormat reads a decimal string exactly (ECMA-402 "Intl.NumberFormat v3").
  return formatter.format(minorToDecimal(amount, currency) as Intl.StringNumericLiteral).replace(/\u00a0/g, ' ');
}

/** The deficit a restaurant owes: minus its available balance when that is below zero, else 0. */
export function deficitOf(available: MinorUnits): bigint {
  const value = toBigIntMinor(available);
  return value < 0n ? -value : 0n;
}

/** `2025-12-20T15:10:00.000Z` → `"2025-12-20 15:10:00 UTC"`: the ledger keeps UTC, so does the console. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A plain integer count with grouping: `1116` → `"1,116"`. */
export function formatCount(count: number): string {
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }).format(count);
}
