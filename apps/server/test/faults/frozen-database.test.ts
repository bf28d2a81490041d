import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil, sleep } from '../support/server-process.ts';
import { DeliveryLog, isUnavailableEnvelope, retryUntilAnswered, runLoad, singleRoute } from './support/deliveries.ts';
import { type FaultRig, startFaultRig } from './support/fault-rig.ts';
import { printFigures } from './support/figures.ts';
import type { HttpAnswer, HttpClient } from './support/http-client.ts';
import { auditLedger } from './support/ledger-audit.ts';
import { eventStream } from './support/ledger-model.ts';

/**
 * Scenario 6: every process of the database is frozen (SIGSTOP) under reads and writes. Unlike a
 * crash, nothing closes a socket: a request that already holds a pooled connection waits for an
 * answer that does not come, and PostgreSQL's statement_timeout cannot fire in a process that does
 * not run. Only the server's own clocks end the wait: the pool's connect timeout (a new connection
 * or a free one) and the client-side query timeout. No request may wait longer than those two.
 */
const CONNECT_TIMEOUT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 2_000;
const QUERY_TIMEOUT_MS = 2_500;
/** The configured bound: the longest wait for a connection, then the longest wait for one query's answer. */
const BOUND_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS;
/** For a loaded 2-core machine (tsx, the test's own clients and the server share it). */
const SLACK_MS = 1_500;
const FREEZE_MS = 15_000;
const WRITERS = 4;
const READERS = 4;
const HEALTH_MS_MAX = 1_000;
const RECOVERY_MS_MAX = 20_000;

let rig: FaultRig;
beforeAll(async () => {
  rig = await startFaultRig({
    database: 'ledger_frozen',
    connections: WRITERS + READERS + 2,
    env: {
      LEDGER_DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      LEDGER_DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      LEDGER_DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      // Rate limits on (the rig turns them off), above the ~300 requests a window of this test sends:
      // their counters live in the frozen database too, and a claim that cannot be answered must end
      // in the same bounded 503. Slices of 10 requests, so that claims fall inside the freeze.
      LEDGER_RATE_LIMIT_PER_IP: '1000',
      LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '1000',
    },
  });
}, 90_000);
afterAll(() => rig?.close(), 30_000);

/** One request as the test saw it: when it was sent and answered (ms since the test began), and how. */
interface Exchange {
  path: string;
  sentAt: number;
  answeredAt: number;
  answer: HttpAnswer;
}

/** The rig's client, keeping every exchange (the delivery log keeps no headers, and no reads). */
function recording(client: HttpClient, exchanges: Exchange[]): HttpClient {
  const record = async (path: string, send: () => Promise<HttpAnswer>) => {
    const sentAt = performance.now();
    const answer = await send();
    exchanges.push({ path, sentAt, answeredAt: performance.now(), answer });
    return answer;
  };
  return {
    post: (path, body) => record(path, () => client.post(path, body)),
    get: (path) => record(path, () => client.get(path)),
    close: () => client.close(),
  };
}

/** The postmaster first (it forks no new backend once stopped), then every process it started. */
function freezeDatabase(): number[] {
  const postmaster = rig.cluster.postmasterPid();
  if (postmaster === undefined) throw new Error('the cluster is not running');
  process.kill(postmaster, 'SIGSTOP');
  const children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  for (const pid of children) process.kill(pid, 'SIGSTOP');
  return [postmaster, ...children];
}

function thawDatabase(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Gone already: nothing left to wake.
    }
  }
}

/** A 503 in the error envelope that tells the client when to come back. */
function isRetryable503(answer: HttpAnswer): boolean {
  return answer.kind === 'answer' && answer.status === 503 && isUnavailableEnvelope(answer.body) && Number(answer.headers['retry-after']) > 0;
}

function describeAnswer(exchange: Exchange): string {
  const { answer } = exchange;
  const how = answer.kind === 'network' ? answer.message : `${answer.status} ${String(answer.body.error?.code ?? '')} retry-after=${String(answer.headers['retry-after'])}`;
  return `${exchange.path}: ${how} in ${answer.elapsedMs} ms`;
}

describe('a frozen database', () => {
  it('answers every request with a 503 within the configured bound, keeps /health up, recovers, and loses nothing acknowledged', { timeout: 120_000 }, async () => {
    const restaurants = ['res_frozen_a', 'res_frozen_b', 'res_frozen_c', 'res_frozen_d'];
    const events = eventStream({
      prefix: 'evt_frozen',
      count: 5_000,
      restaurants,
      currencies: ['PEN'],
      from: new Date(Date.now() - 86_400_000),
      stepMs: 10,
      seed: 8_006,
    });
    const exchanges: Exchange[] = [];
    const client = recording(rig.client, exchanges);
    const log = new DeliveryLog();
    let sent = 0;
    let stopped = false;
    const writing = runLoad({ client, route: singleRoute, senders: WRITERS, next: () => events[sent++], log, stop: () => stopped, backoffMs: 100 });
    const reader = async (index: number) => {
      for (let n = index; !stopped; n += 1) {
        const answer = await client.get(`/v1/restaurants/${restaurants[n % restaurants.length]}/balance?currency=PEN`);
        if (answer.kind === 'network' || answer.status >= 500) await sleep(100);
      }
    };
    const reading = Promise.all(Array.from({ length: READERS }, (_, i) => reader(i)));
    await pollUntil('writes acknowledged before the freeze', 30_000, async () => (log.count('created') >= 50 ? true : undefined));

    const health: HttpAnswer[] = [];
    const frozenAt = performance.now();
    const frozen = freezeDatabase();
    let thawedAt: number;
    let readyDuringFreeze: HttpAnswer;
    try {
      while (performance.now() - frozenAt < FREEZE_MS) {
        health.push(await rig.client.get('/health'));
        rig.server.assertRunning();
        await sleep(250);
      }
      readyDuringFreeze = await rig.client.get('/ready');
    } finally {
      thawDatabase(frozen);
      thawedAt = performance.now();
    }
    await pollUntil('/ready after the thaw', RECOVERY_MS_MAX, async () => {
      const answer = await rig.client.get('/ready');
      return answer.kind === 'answer' && answer.status === 200 ? true : undefined;
    });
    const readyAfterThawMs = Math.round(performance.now() - thawedAt);
    const createdAtThaw = log.count('created');
    await pollUntil('writes acknowledged after the thaw', RECOVERY_MS_MAX, async () => (log.count('created') >= createdAtThaw + 20 ? true : undefined));
    stopped = true;
    await Promise.all([writing, reading]);

    // Sent while frozen and answered before the thaw: each a 503 envelope with Retry-After.
    const duringFreeze = exchanges.filter((e) => e.sentAt >= frozenAt && e.answeredAt < thawedAt);
    expect(duringFreeze.filter((e) => !isRetryable503(e.answer)).slice(0, 5).map(describeAnswer), 'answers during the freeze other than a 503 envelope with Retry-After').toEqual([]);
    expect(duringFreeze.filter((e) => e.path.includes('/balance')).length, 'reads answered during the freeze').toBeGreaterThan(0);
    expect(duringFreeze.filter((e) => e.path === '/v1/processor/events').length, 'writes answered during the freeze').toBeGreaterThan(0);
    // Every request, also those holding a connection when the freeze began, within the bound.
    const slowest = exchanges.reduce((a, b) => (b.answer.elapsedMs > a.answer.elapsedMs ? b : a));
    expect(slowest.answer.elapsedMs, `slowest: ${describeAnswer(slowest)}`).toBeLessThanOrEqual(BOUND_MS + SLACK_MS);
    expect(exchanges.filter((e) => e.answer.kind === 'network').length, 'requests that got no HTTP answer').toBe(0);
    // The rate limits' counters were frozen too: some requests waited on a claim, within the same bound.
    expect(rig.server.output(), 'a rate-limit claim during the freeze').toContain('rate limit counter not reached');
    expect(log.unexpected().slice(0, 5), 'deliveries answered other than 201, 200 or a 503 envelope').toEqual([]);
    expect(health.filter((a) => a.kind !== 'answer' || a.status !== 200 || a.elapsedMs > HEALTH_MS_MAX).length, '/health failures while frozen').toBe(0);
    expect(readyDuringFreeze.kind === 'answer' && readyDuringFreeze.status, 'GET /ready while frozen').toBe(503);

    // Every acknowledged event is there exactly once; retried, every event is recorded once.
    const attempted = events.slice(0, sent);
    const acknowledged = log.acknowledged();
    const afterThaw = await auditLedger(rig.databaseUrl, attempted.filter((e) => acknowledged.has(e.event_id)));
    expect(afterThaw.missing, 'acknowledged events missing').toEqual([]);
    expect(afterThaw.doubled).toEqual([]);
    expect(afterThaw.partial).toEqual([]);
    const unacknowledged = new Set(log.unacknowledged());
    await retryUntilAnswered(attempted.filter((e) => unacknowledged.has(e.event_id)), {
      client: rig.client, route: singleRoute, senders: WRITERS, log, attemptsMax: 5, backoffMs: 200,
    });
    const final = await auditLedger(rig.databaseUrl, attempted);
    expect(final).toMatchObject({ recorded: attempted.length, missing: [], unexpected: [], partial: [], doubled: [] });

    printFigures('frozen database', {
      'frozen (ms)': Math.round(thawedAt - frozenAt),
      'processes frozen': frozen.length,
      requests: exchanges.length,
      'answered during the freeze': duringFreeze.length,
      '503s': exchanges.filter((e) => isRetryable503(e.answer)).length,
      'slowest answer (ms)': slowest.answer.elapsedMs,
      'bound (ms)': BOUND_MS,
      '/health answers while frozen': health.length,
      '/ready 200 after thaw (ms)': readyAfterThawMs,
      acknowledged: acknowledged.size,
      recorded: final.recorded,
      lost: afterThaw.missing.length,
      doubled: final.doubled.length,
    });
  });
});
