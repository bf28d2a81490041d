import { createServer } from 'node:net';
import { startTestServer, type TestServer } from '@restaurant-ledger/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerClient, LedgerHttpError, type LedgerClientOptions, ledgerErrorCode, type RetryOptions } from '../src/index.ts';

const API_KEY = 'key_retry_test';
const FAST: RetryOptions = { attempts: 3, baseDelayMs: 1, maxDelayMs: 20 };
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ apiKeys: [API_KEY] });
});
afterAll(() => server.close());

type Failure = { status: number; headers?: Record<string, string>; json?: unknown } | 'connection refused';

/** A tRPC error envelope as the server's error formatter writes it. */
const serviceUnavailable = {
  error: {
    message: 'The database did not answer in time',
    code: -32603,
    data: { code: 'SERVICE_UNAVAILABLE', message: 'The database did not answer in time', details: { reason: 'database_timeout' }, httpStatus: 503, path: 'restaurants.get' },
  },
};

/**
 * The real fetch against the started server, except that the first calls fail as a proxy or a
 * dropped connection would make them fail. Counts every attempt that reaches it.
 */
function flakyFetch(failures: readonly Failure[]): { fetch: typeof globalThis.fetch; attempts: () => number } {
  let calls = 0;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const failure = failures[calls];
    calls += 1;
    if (failure === 'connection refused') return globalThis.fetch(`http://127.0.0.1:${await closedPort()}/trpc`, init);
    if (failure !== undefined && failure.json !== undefined) {
      return new Response(JSON.stringify(failure.json), { status: failure.status, headers: { 'content-type': 'application/json', ...failure.headers } });
    }
    if (failure !== undefined) return new Response('<html>upstream trouble</html>', { status: failure.status, headers: { 'content-type': 'text/html', ...failure.headers } });
    return globalThis.fetch(input, init);
  };
  return { fetch, attempts: () => calls };
}

async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

const clientWith = (fetch: typeof globalThis.fetch, retry: LedgerClientOptions['retry'] = FAST) =>
  createLedgerClient({ url: server.url, apiKey: API_KEY, fetch, retry });

const event = (eventId: string) =>
  ({
    event_id: eventId,
    event_type: 'charge_succeeded',
    occurred_at: '2025-12-20T15:10:00Z',
    restaurant_id: 'res_retry',
    currency: 'USD',
    amount: 2500,
  }) as const;

describe('retries of calls that are safe to repeat', () => {
  it('retries a read after 503s until it succeeds', async () => {
    await clientWith(globalThis.fetch).events.ingest.mutate(event('evt_retry_seed'));
    const flaky = flakyFetch([{ status: 503 }, { status: 503 }]);
    const balance = await clientWith(flaky.fetch).restaurants.balance.query({ restaurant_id: 'res_retry', currency: 'USD' });
    expect(balance.restaurant_id).toBe('res_retry');
    expect(flaky.attempts()).toBe(3);
  });

  it('retries a ledger SERVICE_UNAVAILABLE answer, and surfaces it typed when attempts run out', async () => {
    const recovers = flakyFetch([{ status: 503, json: serviceUnavailable }]);
    await expect(clientWith(recovers.fetch).restaurants.get.query({ restaurant_id: 'res_retry' })).resolves.toMatchObject({ restaurant_id: 'res_retry' });
    const stays = flakyFetch(Array.from({ length: 3 }, () => ({ status: 503, json: serviceUnavailable })));
    const error = await clientWith(stays.fetch).restaurants.get.query({ restaurant_id: 'res_retry' }).catch((e: unknown) => e);
    expect(ledgerErrorCode(error)).toBe('SERVICE_UNAVAILABLE');
    expect([recovers.attempts(), stays.attempts()]).toEqual([2, 3]);
  });

  it('retries event ingestion after 502 and 504, and the event is recorded once', async () => {
    const flaky = flakyFetch([{ status: 502 }, { status: 504 }]);
    const recorded = await clientWith(flaky.fetch).events.ingest.mutate(event('evt_retry_gateway'));
    expect(recorded.idempotent).toBe(false);
    expect(flaky.attempts()).toBe(3);
    const replay = await clientWith(globalThis.fetch).events.ingest.mutate(event('evt_retry_gateway'));
    expect(replay).toMatchObject({ idempotent: true, entries: recorded.entries });
  });

  it('retries a batch after a refused connection', async () => {
    const flaky = flakyFetch(['connection refused']);
    const batch = await clientWith(flaky.fetch).events.ingestBatch.mutate({ events: [event('evt_retry_batch')] });
    expect(batch.summary).toEqual({ created: 1, idempotent: 0, conflicts: 0, rejected: 0 });
    expect(flaky.attempts()).toBe(2);
  });

  it('waits out a Retry-After no longer than maxDelayMs', async () => {
    const flaky = flakyFetch([{ status: 429, headers: { 'retry-after': '1' } }]);
    const started = Date.now();
    await clientWith(flaky.fetch, { attempts: 2, baseDelayMs: 1, maxDelayMs: 2_000 }).restaurants.get.query({ restaurant_id: 'res_retry' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(flaky.attempts()).toBe(2);
  });

  it('gives up at once when Retry-After asks for more than maxDelayMs', async () => {
    const flaky = flakyFetch([{ status: 429, headers: { 'retry-after': '30' } }]);
    const error = await clientWith(flaky.fetch).restaurants.get.query({ restaurant_id: 'res_retry' }).catch((e: unknown) => e);
    expect((error as { cause?: unknown }).cause).toMatchObject({ status: 429, retryAfterMs: 30_000 });
    expect(flaky.attempts()).toBe(1);
  });

  it('stops after the configured number of attempts and surfaces the last failure', async () => {
    const flaky = flakyFetch(Array.from({ length: 10 }, () => ({ status: 503 })));
    const error = await clientWith(flaky.fetch).restaurants.get.query({ restaurant_id: 'res_retry' }).catch((e: unknown) => e);
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(LedgerHttpError);
    expect(flaky.attempts()).toBe(3);
  });
});

describe('calls that are not retried', () => {
  it('never retries a payout run or a restaurant change, whatever the failure', async () => {
    const run = flakyFetch([{ status: 503 }]);
    await expect(clientWith(run.fetch).payouts.run.mutate({ currency: 'USD', as_of: '2025-12-27' })).rejects.toThrow();
    const create = flakyFetch(['connection refused']);
    await expect(clientWith(create.fetch).restaurants.create.mutate({ restaurant_id: 'res_retry_new' })).rejects.toThrow();
    expect([run.attempts(), create.attempts()]).toEqual([1, 1]);
  });

  it('never retries a 4xx answer such as RESTAURANT_NOT_FOUND', async () => {
    const flaky = flakyFetch([]);
    const error = await clientWith(flaky.fetch).restaurants.get.query({ restaurant_id: 'res_unknown' }).catch((e: unknown) => e);
    expect(ledgerErrorCode(error)).toBe('RESTAURANT_NOT_FOUND');
    expect(flaky.attempts()).toBe(1);
  });

  it('does not retry at all with retry: false', async () => {
    const flaky = flakyFetch([{ status: 503 }]);
    await expect(clientWith(flaky.fetch, false).restaurants.get.query({ restaurant_id: 'res_retry' })).rejects.toThrow();
    expect(flaky.attempts()).toBe(1);
  });

  it('refuses unbounded retry settings', () => {
    expect(() => clientWith(globalThis.fetch, { attempts: 1000 })).toThrow(RangeError);
  });
});
