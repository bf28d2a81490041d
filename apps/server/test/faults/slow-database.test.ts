import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/server-process.ts';
import { DeliveryLog, deliverShots, retryUntilAnswered, singleRoute } from './support/deliveries.ts';
import { type FaultRig, startFaultRig } from './support/fault-rig.ts';
import { printFigures } from './support/figures.ts';
import { createHttpClient, type HttpClient } from './support/http-client.ts';
import { auditLedger } from './support/ledger-audit.ts';
import { eventStream } from './support/ledger-model.ts';

/**
 * Scenario 5: a transaction holds a lock that every ingestion needs and sleeps in pg_sleep. A
 * burst of ten times more requests than the pool has connections must be answered, each with a
 * clear 503 in bounded time (the pool's wait and the statement timeout), not pile up behind the
 * lock; the server must keep answering /health, and nothing half-done may be left behind.
 */
const POOL_MAX = 10;
const BURST = 100;
const TIMEOUT_MS = 2_000;
/** Connect timeout plus statement timeout, with a generous allowance for a loaded machine. */
const ANSWER_MS_MAX = 15_000;
/** Far longer than any answer may take: a request still waiting when it ends has piled up. */
const LOCK_HELD_S = 60;
/** /health must answer within this while the database is jammed (it never touches it); milliseconds in practice. */
const HEALTH_MS_MAX = 5_000;

let rig: FaultRig;
let burstClient: HttpClient;

beforeAll(async () => {
  rig = await startFaultRig({
    database: 'ledger_slow',
    connections: 4,
    env: { LEDGER_DB_POOL_MAX: String(POOL_MAX), LEDGER_DB_CONNECT_TIMEOUT_MS: String(TIMEOUT_MS), LEDGER_DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
  burstClient = createHttpClient(rig.server.url, { connections: BURST, timeoutMs: (LOCK_HELD_S - 10) * 1000 });
}, 90_000);

afterAll(async () => {
  burstClient?.close();
  await rig?.close();
}, 30_000);

describe('a slow database and an exhausted pool', () => {
  it('answer a burst with 503s in bounded time instead of piling up, and /health keeps answering', { timeout: 120_000 }, async () => {
    const events = eventStream({
      prefix: 'evt_slow',
      count: BURST + 10,
      restaurants: ['res_slow_a', 'res_slow_b', 'res_slow_c'],
      currencies: ['PEN'],
      from: new Date(Date.now() - 86_400_000),
      stepMs: 1_000,
      seed: 8_005,
    });
    const [warmUp, burst] = [events.slice(0, 10), events.slice(10)];
    const warmUpLog = new DeliveryLog();
    await retryUntilAnswered(warmUp, { client: rig.client, route: singleRoute, senders: 4, log: warmUpLog, attemptsMax: 1, backoffMs: 0 });
    expect(warmUpLog.count('created')).toBe(warmUp.length);

    // The slow transaction: SHARE mode lets reads through but makes every insert wait.
    const holder = new pg.Client({ connectionString: rig.databaseUrl });
    await holder.connect();
    const holderPid = await backendPid(holder);
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE processor_events IN SHARE MODE');
    const holding = holder.query(`SELECT pg_sleep(${LOCK_HELD_S})`).then(
      () => 'slept to the end',
      () => 'cancelled',
    );
    const started = performance.now();
    const burstLog = new DeliveryLog();
    let burstDone = false;
    const bursting = deliverShots(
      burst.map((event) => ({ route: singleRoute, events: [event] })),
      { client: burstClient, senders: BURST, log: burstLog, attemptsMax: 1, backoffMs: 0 },
    ).then(() => (burstDone = true));

    const observer = new pg.Client({ connectionString: rig.databaseUrl });
    await observer.connect();
    const ownPids = [holderPid, await backendPid(observer)];
    const health: number[] = [];
    let serverConnectionsMax = 0;
    while (!burstDone) {
      const answer = await rig.client.get('/health');
      expect(answer.kind === 'answer' && answer.status, 'GET /health while the database is jammed').toBe(200);
      health.push(answer.elapsedMs);
      serverConnectionsMax = Math.max(serverConnectionsMax, await serverConnections(observer, ownPids));
      await sleep(100);
    }
    await bursting;
    const burstMs = performance.now() - started;
    const lockStillHeld = (await Promise.race([holding, sleep(0).then(() => 'held')])) === 'held';
    await observer.query('SELECT pg_cancel_backend($1)', [holderPid]);
    expect(await holding).toBe('cancelled');
    await holder.query('ROLLBACK');
    await holder.end();
    await observer.end();

    // Every request of the burst got its 503 in the envelope, within the bound, while the lock was still held.
    expect(lockStillHeld, 'the burst was answered before the lock was released').toBe(true);
    expect(burstLog.records.filter((r) => r.outcome !== 'unavailable').slice(0, 5), 'burst answers other than a 503 envelope').toEqual([]);
    expect(burstLog.records).toHaveLength(BURST);
    expect(burstLog.slowest('unavailable')).toBeLessThan(ANSWER_MS_MAX);
    expect(new Set(burstLog.records.map((r) => r.detail))).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    expect(health.length, '/health answers while the burst was waiting').toBeGreaterThan(0);
    expect(Math.max(...health)).toBeLessThan(HEALTH_MS_MAX);
    expect(serverConnectionsMax).toBeLessThanOrEqual(POOL_MAX);

    // Nothing of the burst was written; sent again once the database is fast, each is recorded once.
    const afterBurst = await auditLedger(rig.databaseUrl, warmUp);
    expect(afterBurst).toMatchObject({ recorded: warmUp.length, missing: [], unexpected: [], partial: [], doubled: [] });
    await retryUntilAnswered(burst, { client: rig.client, route: singleRoute, senders: 4, log: burstLog, attemptsMax: 5, backoffMs: 200 });
    const final = await auditLedger(rig.databaseUrl, events);
    expect(burstLog.count('created')).toBe(burst.length);
    expect(final).toMatchObject({ recorded: events.length, missing: [], unexpected: [], partial: [], doubled: [] });

    printFigures('slow database and exhausted pool', {
      'pool connections': POOL_MAX,
      'burst requests': BURST,
      'answered 503 while the lock was held': burstLog.count('unavailable'),
      'slowest 503 (ms)': burstLog.slowest('unavailable'),
      'whole burst answered in (ms)': Math.round(burstMs),
      'server connections at most': serverConnectionsMax,
      '/health answers during the slowdown': health.length,
      'slowest /health (ms)': Math.max(...health),
      'recorded after the slowdown': final.recorded,
      lost: final.missing.length,
      doubled: final.doubled.length,
    });
  });
});

async function backendPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return rows[0]?.pid ?? 0;
}

/** Backends on the ledger database other than the test's own: the server's pool. */
async function serverConnections(observer: pg.Client, ownPids: readonly number[]): Promise<number> {
  const { rows } = await observer.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> ALL($1::int[])',
    [ownPids],
  );
  return rows[0]?.n ?? 0;
}
