import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findRoundedNumber } from '../src/json-safety.ts';

describe('finding numbers that JSON parsing would round', () => {
  it.each([
    ['12000.0000000000001', '{"amount":12000.0000000000001}'],
    ['9007199254740993', '{"amount":9007199254740993}'],
    ['9007199254740990.6', '{"fee":1,"amount":9007199254740990.6}'],
    ['1.00000000000000001e4', '{"a":[1,{"b":1.00000000000000001e4}]}'],
    ['-9007199254740993', '{"metadata":{"n":-9007199254740993}}'],
    ['1e-500', '{"x":1e-500}'],
  ])('finds %s', (literal, text) => {
    expect(findRoundedNumber(text)).toBe(literal);
  });

  it.each([
    '{"amount":12000,"fee":600}',
    '{"amount":12000.0,"fee":6e2,"n":-0,"z":0e999}',
    '{"amount":9007199254740991,"fee":1.5}',
    '{"event_id":"12000.0000000000001","metadata":{"note":"9007199254740993 \\" 1.00000000000000001"}}',
  ])('passes %s', (text) => {
    expect(findRoundedNumber(text)).toBeUndefined();
  });

  it('passes every safe integer, written plainly or with a zero fraction, and finds every unsafe one', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), fc.boolean(), (value, withFraction) => {
        const literal = `${value}${withFraction ? '.000' : ''}`;
        const safe = value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER);
        const roundsTo = BigInt(Number(value));
        const found = findRoundedNumber(`{"amount":${literal}}`);
        if (safe || roundsTo === value) expect(found).toBeUndefined();
        else expect(found).toBe(literal);
      }),
      { numRuns: 2_000 },
    );
  });
});
