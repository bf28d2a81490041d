import { readFileSync } from 'node:fs';
import { startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createLedgerClient,
  isLedgerClientError,
  type LedgerErrorCode,
  type LedgerOutputs,
  ledgerErrorCode,
} from '../src/index.ts';

const API_KEY = 'key_sdk_test';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY] });
});
afterAll(() => server.close());

describe('the SDK README example', () => {
  it('is the example file, verbatim', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/readme-example.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('runs against a started server and prints what its comments say', async () => {
    process.env.LEDGER_URL = server.url;
    process.env.LEDGER_API_KEY = API_KEY;
    const example = await import('../examples/readme-example.ts');
    expect(example.recorded.idempotent).toBe(false);
    expect(example.balance).toMatchObject({ available: 11400, pending: 0, total: 11400 });
    expect(example.missingCode).toBe('RESTAURANT_NOT_FOUND');
  });
});

describe('createLedgerClient', () => {
  const client = () => createLedgerClient({ url: `${server.url}/`, apiKey: API_KEY });
  const event = {
    event_id: 'evt_sdk_direct',
    event_type: 'charge_succeeded',
    occurred_at: '2025-12-20T15:10:00Z',
    restaurant_id: 'res_sdk_direct',
    currency: 'USD',
    amount: 5000,
  } as const;

  it('returns bare data and reports replays as idempotent', async () => {
    const first = await client().events.ingest.mutate(event);
    const replay = await client().events.ingest.mutate(event);
    expect(first.idempotent).toBe(false);
    expect(replay).toMatchObject({ idempotent: true, entries: first.entries });
  });

  it('throws a typed error carrying the same code as REST', async () => {
    const error = await client()
      .events.ingest.mutate({ ...event, amount: 5001 })
      .catch((e: unknown) => e);
    expect(isLedgerClientError(error)).toBe(true);
    expect(ledgerErrorCode(error)).toBe('EVENT_ID_CONFLICT');
    if (!isLedgerClientError(error)) throw new Error('unreachable');
    expect(error.data?.details).toEqual({ event_id: 'evt_sdk_direct', differing_fields: ['amount'] });
    expect(error.data?.httpStatus).toBe(409);
  });

  it('reports validation failures as VALIDATION_ERROR naming the field', async () => {
    const error = await client()
      .restaurants.create.mutate({ restaurant_id: 'res ok?' })
      .catch((e: unknown) => e);
    expect(ledgerErrorCode(error)).toBe('VALIDATION_ERROR');
  });

  it('sends the API key, and without it is refused with AUTH_REQUIRED', async () => {
    const anonymous = createLedgerClient({ url: server.url });
    const error = await anonymous.restaurants.get.query({ restaurant_id: 'res_sdk_direct' }).catch((e: unknown) => e);
    expect(ledgerErrorCode(error)).toBe('AUTH_REQUIRED');
    await expect(client().restaurants.get.query({ restaurant_id: 'res_sdk_direct' })).resolves.toMatchObject({
      restaurant_id: 'res_sdk_direct',
      maturity_days: 7,
    });
  });

  it('takes its types from the server router, not from copies', () => {
    expectTypeOf<LedgerOutputs['restaurants']['balance']>().toEqualTypeOf<{
      restaurant_id: string;
      currency: string;
      available: number;
      pending: number;
      reserved: number;
      total: number;
      last_event_at: string | null;
      as_of: string;
    }>();
    expectTypeOf<LedgerErrorCode>().toExtend<string>();
    expectTypeOf<'EVENT_ID_CONFLICT'>().toExtend<LedgerErrorCode>();
    expectTypeOf<'NOT_A_CODE'>().not.toExtend<LedgerErrorCode>();
  });
});
