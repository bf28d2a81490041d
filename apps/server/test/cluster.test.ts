import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createTestDatabase, type TestDatabase } from '@restaurant-ledger/core/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { EXAMPLE_EVENT } from './support/test-server.ts';
import { freePort, pollUntil, type ServerProcess, startServerProcess } from './support/server-process.ts';

/**
 * LEDGER_WORKERS=2: the real server process (`node --import tsx src/main.ts`) as a node:cluster
 * primary with two workers on one port, driven over fresh connections so that the primary's
 * round robin spreads them over both workers.
 */
const POOL_MAX = 3;
const IP_LIMIT = 30;

let testDb: TestDatabase;
let server: ServerProcess;

beforeAll(async () => {
  testDb = await createTestDatabase({ poolSize: 2 });
  if (testDb.url === undefined) throw new Error('the cluster tests spawn the server on PostgreSQL and need its URL');
  server = await startServerProcess({
    port: await freePort(),
    databaseUrl: testDb.url,
    env: { LEDGER_WORKERS: '2', LOG_LEVEL: 'info', LEDGER_DB_POOL_MAX: String(POOL_MAX), LEDGER_RATE_LIMIT_PER_IP: String(IP_LIMIT), LEDGER_RATE_LIMIT_WINDOW_MS: '3600000' },
  });
  await pollUntil('both workers listening', 30_000, async () => (server.output().includes('restaurant-ledger cluster listening') ? true : undefined), 50);
}, 60_000);

afterAll(async () => {
  await server?.kill('SIGKILL');
  await testDb?.close();
});

/** One request on a connection of its own; resolves with the status and body. */
function send(path: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { agent: false, method: init.method ?? 'GET', headers: init.body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The JSON log lines the processes wrote so far. */
function logLines(): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** The value of one sample in a Prometheus text exposition. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const HEALTH_COUNT = 'http_request_duration_seconds_count{method="GET",route="/health",status="200"}';

describe('LEDGER_WORKERS=2', () => {
  it('serves from both workers, each request line naming its worker and request id', async () => {
    const statuses = await Promise.all(Array.from({ length: 24 }, () => send('/health').then((r) => r.status)));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const lines = await pollUntil('the request lines', 5_000, async () => {
      const found = logLines().filter((line) => line.msg === 'request' && line.route === '/health');
      return found.length >= 24 ? found : undefined;
    });
    expect(new Set(lines.map((line) => line.worker))).toEqual(new Set([1, 2]));
    expect(lines.every((line) => typeof line.request_id === 'string')).toBe(true);
  });

  it('answers /metrics with the sum over the workers, whichever worker is asked', async () => {
    const before = sample((await send('/metrics')).body, HEALTH_COUNT);
    await Promise.all(Array.from({ length: 20 }, () => send('/health')));
    const scrapes = await Promise.all(Array.from({ length: 4 }, () => send('/metrics')));
    // The request lines are written as each response closes: wait for all five.
    const lines = await pollUntil('the /metrics request lines', 5_000, async () => {
      const found = logLines().filter((line) => line.msg === 'request' && line.route === '/metrics');
      return found.length >= 5 ? found : undefined;
    });
    expect(new Set(lines.map((line) => line.worker))).toEqual(new Set([1, 2]));
    for (const scrape of scrapes) {
      expect(scrape.status).toBe(200);
      expect(sample(scrape.body, HEALTH_COUNT)).toBe(before + 20);
      // Each worker's pool is counted: the database sees both.
      expect(sample(scrape.body, 'ledger_db_pool_connections{state="max"}')).toBe(2 * POOL_MAX);
    }
  });

  it('answers /ready from every worker', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('/ready')));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 8 }, () => 200));
  });

  it('shares one rate-limit budget between the workers', async () => {
    const answers = await Promise.all(Array.from({ length: IP_LIMIT + 20 }, () => send('/v1/restaurants/res_cluster/balance?currency=PEN')));
    expect(answers.filter((a) => a.status === 404)).toHaveLength(IP_LIMIT);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(20);
    // Both workers counted (which one refuses depends on which spent the budget last).
    const counted = await pollUntil('the request lines', 5_000, async () => {
      const found = logLines().filter((line) => line.msg === 'request' && line.route === '/v1/restaurants/{restaurant_id}/balance');
      return found.length >= IP_LIMIT + 20 ? found : undefined;
    });
    expect(new Set(counted.map((line) => line.worker))).toEqual(new Set([1, 2]));
  });

  it('replaces a worker that dies, in the same slot, and keeps serving meanwhile', async () => {
    const workers = execFileSync('pgrep', ['-P', String(server.child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(workers).toHaveLength(2);
    const listeningBefore = logLines().filter((line) => line.msg === 'restaurant-ledger listening').length;
    process.kill(workers[0] ?? 0, 'SIGKILL');
    const exited = await pollUntil('the primary noticing', 5_000, async () => logLines().find((line) => line.msg?.toString().startsWith('worker exited')));
    // A connection the primary handed to the killed worker in the moment before it noticed is reset,
    // as a load balancer's would be; the next one is served by the live worker.
    const health = await send('/health').catch(() => send('/health'));
    expect(health.status).toBe(200);
    await pollUntil('the replacement listening', 30_000, async () =>
      logLines().filter((line) => line.msg === 'restaurant-ledger listening').length > listeningBefore ? true : undefined,
    );
    const replacement = logLines().filter((line) => line.msg === 'restaurant-ledger listening').at(-1);
    expect(replacement?.worker).toBe(exited.worker);
    const again = await Promise.all(Array.from({ length: 8 }, () => send('/ready')));
    expect(again.every((a) => a.status === 200)).toBe(true);
  });

  it('drains every worker on SIGTERM, finishing the request in flight, and exits 0 with no session left', async () => {
    const body = JSON.stringify({ ...EXAMPLE_EVENT, event_id: 'evt_cluster_drain' });
    const req = httpRequest(`${server.url}/v1/processor/events`, {
      agent: false,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.child.kill('SIGTERM');
    await pollUntil('both workers draining', 5_000, async () =>
      logLines().filter((line) => line.msg === 'shutting down: draining requests in flight').length === 2 ? true : undefined,
    );
    req.end(body.slice(20));
    expect(await answered).toBe(201);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const stopped = logLines().filter((line) => line.msg === 'stopped');
    expect(new Set(stopped.map((line) => line.worker))).toEqual(new Set([1, 2, undefined]));
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'restaurant-ledger' AND datname = current_database()`.execute(testDb.db);
    expect(rows[0]?.n).toBe(0);
  });
});

describe('LEDGER_WORKERS with the embedded database', () => {
  it('refuses a count above 1: the embedded database is one session in one process', () => {
    expect(() => loadConfig({ LEDGER_WORKERS: '2' })).toThrow(ConfigError);
    expect(() => loadConfig({ LEDGER_WORKERS: '2' })).toThrow(/LEDGER_WORKERS=2 needs DATABASE_URL/);
  });

  it('runs one process for auto, and says so', () => {
    const { config, warnings } = loadConfig({ LEDGER_WORKERS: 'auto' });
    expect(config.workers).toBe(1);
    expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/LEDGER_WORKERS=auto/)]));
  });

  it('keeps one process by default, and reads auto as the cores available with PostgreSQL', () => {
    expect(loadConfig({}).config.workers).toBe(1);
    expect(loadConfig({ LEDGER_WORKERS: 'auto', DATABASE_URL: 'postgres://localhost/x' }).config.workers).toBeGreaterThanOrEqual(1);
    expect(() => loadConfig({ LEDGER_WORKERS: '0', DATABASE_URL: 'postgres://localhost/x' })).toThrow(ConfigError);
  });
});
