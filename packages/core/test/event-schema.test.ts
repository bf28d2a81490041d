import { describe, expect, it } from 'vitest';
import { DOMAIN_EXAMPLE_EVENT as DOMAIN_EXAMPLE } from './support/index.ts';
import {
  INGESTIBLE_EVENT_TYPES,
  ledgerErrorFromZod,
  METADATA_BYTES_MAX,
  METADATA_DEPTH_MAX,
  processorEventInputSchema,
  type LedgerError,
} from '../src/index.ts';


function body(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...DOMAIN_EXAMPLE, ...overrides };
}

/** Parses a body that must be refused and returns the ledger error it maps to. */
function refusal(input: unknown): LedgerError {
  const result = processorEventInputSchema.safeParse(input);
  expect(result.success).toBe(false);
  if (result.success) throw new Error('expected the body to be refused');
  return ledgerErrorFromZod(result.error);
}

function issueFields(error: LedgerError): string[] {
  return (error.details.issues as Array<{ field: string; message: string }>).map((issue) => issue.field);
}

/** A metadata object `levels` objects deep: the object itself is level 1. */
function nestedMetadata(levels: number): Record<string, unknown> {
  let metadata: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < levels; level += 1) metadata = { child: metadata };
  return metadata;
}

describe('the processor event schema', () => {
  it('accepts the docs/ledger.md example, with occurred_at in canonical UTC millisecond form', () => {
    const result = processorEventInputSchema.safeParse(DOMAIN_EXAMPLE);
    expect(result.success).toBe(true);
    expect(result.data).toEqual({ ...DOMAIN_EXAMPLE, occurred_at: '2025-12-20T15:10:00.000Z' });
  });

  it('defaults an omitted fee to 0 and omitted metadata to an empty object', () => {
    const { fee: _fee, metadata: _metadata, ...bare } = DOMAIN_EXAMPLE;
    const result = processorEventInputSchema.safeParse(bare);
    expect(result.data).toMatchObject({ fee: 0, metadata: {} });
  });

  it('accepts an offset other than Z and normalises the instant to UTC', () => {
    const result = processorEventInputSchema.safeParse(body({ occurred_at: '2025-12-20T10:10:00-05:00' }));
    expect(result.data?.occurred_at).toBe('2025-12-20T15:10:00.000Z');
  });

  it('truncates sub-millisecond digits, the precision every response reports', () => {
    const result = processorEventInputSchema.safeParse(body({ occurred_at: '2025-12-20T15:10:00.123456Z' }));
    expect(result.data?.occurred_at).toBe('2025-12-20T15:10:00.123Z');
  });

  describe('amounts', () => {
    it('accepts 9007199254740991 minor units, the largest exact JSON integer', () => {
      const result = processorEventInputSchema.safeParse(body({ amount: 9007199254740991, fee: 9007199254740991 }));
      expect(result.data).toMatchObject({ amount: 9007199254740991, fee: 9007199254740991 });
    });

    it.each([
      ['one past the largest exact integer', 9007199254740992],
      ['negative', -1],
      ['fractional', 12000.5],
      ['a numeric string', '12000'],
      ['zero', 0],
      ['infinite', Number.POSITIVE_INFINITY],
    ])('refuses an amount that is %s as a VALIDATION_ERROR on amount', (_label, amount) => {
      const error = refusal(body({ amount }));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toBe('Invalid input: amount');
      expect(issueFields(error).every((field) => field === 'amount')).toBe(true);
    });

    it.each([
      ['negative', -600],
      ['fractional', 0.5],
      ['one past the largest exact integer', 9007199254740992],
    ])('refuses a fee that is %s', (_label, fee) => {
      expect(issueFields(refusal(body({ fee })))).toContain('fee');
    });

    it('accepts a zero fee', () => {
      expect(processorEventInputSchema.safeParse(body({ fee: 0 })).data?.fee).toBe(0);
    });
  });

  describe('identifiers and formats', () => {
    it.each([
      ['a lower-case currency', { currency: 'pen' }, 'currency'],
      ['a two-letter currency', { currency: 'PE' }, 'currency'],
      ['a restaurant_id with a space', { restaurant_id: 'res 001' }, 'restaurant_id'],
      ['a restaurant_id of 65 characters', { restaurant_id: 'r'.repeat(65) }, 'restaurant_id'],
      ['an empty restaurant_id', { restaurant_id: '' }, 'restaurant_id'],
      ['an occurred_at without an offset', { occurred_at: '2025-12-20T15:10:00' }, 'occurred_at'],
      ['an occurred_at that is only a date', { occurred_at: '2025-12-20' }, 'occurred_at'],
      ['an occurred_at on a day that does not exist', { occurred_at: '2025-02-30T15:10:00Z' }, 'occurred_at'],
      ['an event_id with a space', { event_id: 'evt 0001' }, 'event_id'],
      ['an event_id of 256 characters', { event_id: 'e'.repeat(256) }, 'event_id'],
    ])('refuses %s as a VALIDATION_ERROR naming the field', (_label, overrides, field) => {
      const error = refusal(body(overrides));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toBe(`Invalid input: ${field}`);
      expect(issueFields(error)).toEqual([field]);
    });

    it('accepts a restaurant_id of exactly 64 characters', () => {
      expect(processorEventInputSchema.safeParse(body({ restaurant_id: 'r'.repeat(64) })).success).toBe(true);
    });

    it('names every bad field in the message and the issues, each issue with a message', () => {
      const error = refusal(body({ currency: 'pen', restaurant_id: 'res 001' }));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toMatch(/currency/);
      expect(error.message).toMatch(/restaurant_id/);
      expect(error.details.issues).toEqual(
        expect.arrayContaining([
          { field: 'currency', message: expect.stringMatching(/ISO 4217/) },
          { field: 'restaurant_id', message: expect.stringMatching(/1-64 characters/) },
        ]),
      );
    });

    it('names a missing required field', () => {
      const { currency: _currency, ...withoutCurrency } = DOMAIN_EXAMPLE;
      const error = refusal(withoutCurrency);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(issueFields(error)).toEqual(['currency']);
    });
  });

  describe('unknown fields', () => {
    it('refuses an unknown extra field and names it in the issues', () => {
      const error = refusal(body({ tip: 500 }));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toBe('Invalid input: tip');
      expect(error.details.issues).toEqual([{ field: 'tip', message: 'unknown field' }]);
    });

    it('names each of several unknown fields', () => {
      expect(issueFields(refusal(body({ tip: 500, vendor: 'x' })))).toEqual(['tip', 'vendor']);
    });
  });

  describe('metadata', () => {
    // {"k":"…"} is the string plus 8 bytes of JSON.
    const JSON_OVERHEAD_BYTES = 8;

    it(`accepts metadata of exactly ${METADATA_BYTES_MAX} bytes of JSON`, () => {
      const metadata = { k: 'x'.repeat(METADATA_BYTES_MAX - JSON_OVERHEAD_BYTES) };
      expect(processorEventInputSchema.safeParse(body({ metadata })).success).toBe(true);
    });

    it(`refuses metadata one byte over ${METADATA_BYTES_MAX} bytes of JSON`, () => {
      const error = refusal(body({ metadata: { k: 'x'.repeat(METADATA_BYTES_MAX - JSON_OVERHEAD_BYTES + 1) } }));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.details.issues).toEqual([{ field: 'metadata', message: expect.stringMatching(/bytes/) }]);
    });

    it('measures the limit in UTF-8 bytes, not characters', () => {
      // 8,189 two-byte characters: half the limit in characters, just over it in bytes.
      const metadata = { k: 'é'.repeat((METADATA_BYTES_MAX - JSON_OVERHEAD_BYTES) / 2 + 1) };
      expect(JSON.stringify(metadata).length).toBeLessThan(METADATA_BYTES_MAX);
      expect(issueFields(refusal(body({ metadata })))).toEqual(['metadata']);
    });

    it(`accepts metadata nested exactly ${METADATA_DEPTH_MAX} levels deep`, () => {
      expect(processorEventInputSchema.safeParse(body({ metadata: nestedMetadata(METADATA_DEPTH_MAX) })).success).toBe(true);
    });

    it(`refuses metadata nested ${METADATA_DEPTH_MAX + 1} levels deep`, () => {
      const error = refusal(body({ metadata: nestedMetadata(METADATA_DEPTH_MAX + 1) }));
      expect(error.details.issues).toEqual([{ field: 'metadata', message: expect.stringMatching(/nest/) }]);
    });

    it('counts arrays as levels of nesting', () => {
      // The metadata object and METADATA_DEPTH_MAX arrays inside it: one level too many.
      let value: unknown = 'leaf';
      for (let arrays = 0; arrays < METADATA_DEPTH_MAX; arrays += 1) value = [value];
      expect(issueFields(refusal(body({ metadata: { list: value } })))).toEqual(['metadata']);
    });

    it('refuses metadata 10,000 levels deep without overflowing the stack', () => {
      const metadata = nestedMetadata(10_000);
      let result: ReturnType<typeof processorEventInputSchema.safeParse> | undefined;
      expect(() => {
        result = processorEventInputSchema.safeParse(body({ metadata }));
      }).not.toThrow();
      expect(result?.success).toBe(false);
      if (result === undefined || result.success) return;
      expect(ledgerErrorFromZod(result.error).details.issues).toEqual([{ field: 'metadata', message: expect.stringMatching(/nest/) }]);
    });

    it.each([
      ['an array', []],
      ['a string', 'rsv_987'],
      ['null', null],
    ])('refuses metadata that is %s rather than an object', (_label, metadata) => {
      const error = refusal(body({ metadata }));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(issueFields(error)).toEqual(['metadata']);
    });
  });

  describe('event types', () => {
    it.each(['chargeback', 'CHARGE_SUCCEEDED', 'payout'])(
      'maps event_type %s to EVENT_INVALID_TYPE listing the supported types',
      (eventType) => {
        const error = refusal(body({ event_type: eventType }));
        expect(error.code).toBe('EVENT_INVALID_TYPE');
        expect(error.details).toMatchObject({ field: 'event_type', supported: [...INGESTIBLE_EVENT_TYPES] });
        expect(error.message).toMatch(/charge_succeeded, refund_succeeded, payout_paid, payout_failed/);
      },
    );

    it('reports EVENT_INVALID_TYPE even when other fields are also wrong, keeping their issues', () => {
      const error = refusal(body({ event_type: 'chargeback', currency: 'pen' }));
      expect(error.code).toBe('EVENT_INVALID_TYPE');
      expect(issueFields(error)).toEqual(expect.arrayContaining(['event_type', 'currency']));
    });

    it.each([
      ['missing', undefined],
      ['a number', 5],
      ['null', null],
    ])('reports an event_type that is %s as VALIDATION_ERROR, not EVENT_INVALID_TYPE', (_label, eventType) => {
      const error = refusal(body({ event_type: eventType }));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(issueFields(error)).toEqual(['event_type']);
    });

    it.each(INGESTIBLE_EVENT_TYPES)('accepts %s', (eventType) => {
      expect(processorEventInputSchema.safeParse(body({ event_type: eventType })).data?.event_type).toBe(eventType);
    });
  });

  it('maps a body that is not an object to a VALIDATION_ERROR on (body)', () => {
    const error = refusal('not an object');
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(issueFields(error)).toEqual(['(body)']);
  });
});
