import { describe, expect, it } from 'vitest';
import { serializeError } from '../src/logger.ts';

describe('error serialization for logs', () => {
  it('keeps what on-call needs and drops driver fields that carry request payloads', () => {
    const error = Object.assign(new Error('invalid input syntax for type json'), {
      code: '22P02',
      routine: 'json_errsave_error',
      parameters: ['{"metadata":{"card":"4111"}}'],
      query: { sql: 'insert into processor_events …', parameters: ['secret payload'] },
    });
    const serialized = serializeError(new Error('wrapped', { cause: error }));
    expect(serialized).toMatchObject({
      type: 'Error',
      message: 'wrapped',
      cause: { message: 'invalid input syntax for type json', code: '22P02', routine: 'json_errsave_error' },
    });
    expect(JSON.stringify(serialized)).not.toMatch(/4111|secret payload|insert into/);
  });
});
