import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { currencyExponent, deficitOf, formatMoney, formatTimestamp, minorToDecimal, toBigIntMinor } from '../src/format.ts';

describe('money in the console', () => {
  it('moves the decimal point by the currency exponent', () => {
    expect(minorToDecimal(12345, 'PEN')).toBe('123.45');
    expect(minorToDecimal(-5, 'PEN')).toBe('-0.05');
    expect(minorToDecimal(0, 'USD')).toBe('0.00');
    expect(minorToDecimal(1500, 'JPY')).toBe('1500');
    expect(minorToDecimal(1234, 'KWD')).toBe('1.234');
    expect([currencyExponent('MXN'), currencyExponent('JPY'), currencyExponent('BHD')]).toEqual([2, 0, 3]);
  });

  it('formats with the currency code, grouping and sign', () => {
    expect(formatMoney(1140000, 'PEN')).toBe('PEN 11,400.00');
    expect(formatMoney(-400000, 'PEN')).toBe('-PEN 4,000.00');
    expect(formatMoney(0, 'USD')).toBe('USD 0.00');
    expect(formatMoney(5050n, 'MXN')).toBe('MXN 50.50');
  });

  it('keeps every digit beyond 2^53, where a float would round', () => {
    expect(formatMoney('123456789012345678901', 'PEN')).toBe('PEN 1,234,567,890,123,456,789.01');
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD')).toBe('USD 90,071,992,547,409.91');
    expect(minorToDecimal('-9007199254740993', 'PEN')).toBe('-90071992547409.93');
  });

  it('gives back the exact minor units for any integer (the decimal string without its point)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (amount) => {
        expect(BigInt(minorToDecimal(amount, 'PEN').replace('.', ''))).toBe(amount);
        expect(BigInt(formatMoney(amount, 'PEN').replace(/[^\d-]/g, ''))).toBe(amount);
      }),
    );
  });

  it('refuses what is not an integer amount of minor units', () => {
    for (const bad of [1.5, Number.NaN, 2 ** 53, '12.5', '1e3', '', ' 12', '0x10']) {
      expect(() => toBigIntMinor(bad), String(bad)).toThrow(RangeError);
    }
  });

  it('derives the deficit as minus a negative available balance, else 0', () => {
    expect(deficitOf(-5500)).toBe(5500n);
    expect(deficitOf(0)).toBe(0n);
    expect(deficitOf(11400)).toBe(0n);
  });
});

describe('times in the console', () => {
  it('shows UTC to the second, and a dash for none', () => {
    expect(formatTimestamp('2025-12-20T15:10:00.000Z')).toBe('2025-12-20 15:10:00 UTC');
    expect(formatTimestamp('2025-12-20T10:10:00-05:00')).toBe('2025-12-20 15:10:00 UTC');
    expect(formatTimestamp(null)).toBe('—');
    expect(formatTimestamp('not a time')).toBe('not a time');
  });
});
