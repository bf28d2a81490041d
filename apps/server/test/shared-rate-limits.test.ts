import { request as httpRequest } from 'node:http';
import { openDatabase } from '@restaurant-ledger/core';
import { createTestDatabase, type TestDatabase } from '@restaurant-ledger/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLimits } from '../src/edge-limits.ts';
import { request, startTestServer, type TestServer } from './support/test-server.ts';

// A database per test: counters are kept per (scope, client, window), whatever the limit, so a test
// would otherwise inherit what the one before it claimed from the same address in the same minute.
let testDb: TestDatabase;
const servers: TestServer[] = [];
beforeEach(async () => {
  testDb = await createTestDatabase({ poolSize: 2 });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await testDb.close();
});

/** Two servers (two apps with a pool each) on one database, as two processes would be. */
async function twoServers(rateLimits: Partial<RateLimits>): Promise<[TestServer, TestServer]> {
  const start = () => startTestServer({ testDb, poolSize: 5, limits: { rateLimits: { windowMs: 3_600_000, ...rateLimits } } });
  const pair: [TestServer, TestServer] = [await start(), await start()];
  servers.push(...pair);
  return pair;
}

/** One GET on a fresh connection, so concurrent requests really are concurrent. */
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

/** `count` requests spread over both servers, `concurrency` at a time: the statuses. */
async function burst(pair: readonly TestServer[], path: string, count: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      statuses.push(await get(`${pair[i % pair.length]?.url}${path}`));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return statuses;
}

const admittedOf = (statuses: number[]) => statuses.filter((status) => status !== 429).length;

describe('rate limits shared through PostgreSQL', () => {
  it('hold exactly across two servers when a slice is one request (limit < 200)', async () => {
    const pair = await twoServers({ perIp: 40 });
    const statuses = await burst(pair, '/v1/restaurants/res_rl/balance?currency=PEN', 90, 12);
    expect(admittedOf(statuses)).toBe(40);
    expect(statuses.filter((status) => status === 429)).toHaveLength(50);
  });

  it('never exceed the limit with larger slices, and refuse at most one slice per server early', async () => {
    const pair = await twoServers({ perIp: 400 }); // slices of 4
    const statuses = await burst(pair, '/v1/restaurants/res_rl/balance?currency=PEN', 460, 16);
    const admitted = admittedOf(statuses);
    expect(admitted).toBeLessThanOrEqual(400);
    expect(admitted).toBeGreaterThanOrEqual(400 - 2 * 4);
  });

  it('give each server the same answer once the shared budget is spent', async () => {
    const [a, b] = await twoServers({ webhookPerIp: 3 });
    const statuses = [];
    for (const server of [a, b, a, b, a, b]) statuses.push((await request(`${server.url}/v1/processor/events/batch`, { body: { events: [] } })).status);
    expect(statuses.slice(0, 3).every((status) => status !== 429)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
  });

  it('refuse with 503 SERVICE_UNAVAILABLE, in the envelope, when the counter cannot be reached (fail closed)', async () => {
    const unreachable = await openDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 500 });
    try {
      const server = await startTestServer({ testDb, payoutWorker: false, ledger: { db: unreachable.db }, limits: { rateLimits: { perIp: 100 } } });
      servers.push(server);
      const answer = await request(`${server.url}/v1/restaurants/res_rl/balance?currency=PEN`);
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } });
      expect(answer.headers.get('retry-after')).not.toBeNull();
      expect((await request(`${server.url}/health`)).status).toBe(200);
    } finally {
      await unreachable.close();
    }
  });
});
