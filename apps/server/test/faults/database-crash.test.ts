import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../support/server-process.ts';
import { DeliveryLog, isUnavailableEnvelope, retryUntilAnswered, runLoad, singleRoute } from './support/deliveries.ts';
import { auditLedger, balancesBesideModel } from './support/ledger-audit.ts';
import { eventStream } from './support/ledger-model.ts';
import { type FaultRig, startFaultRig } from './support/fault-rig.ts';
import { printFigures } from './support/figures.ts';

/**
 * Scenario 1: the database is killed (SIGKILL to the postmaster) while clients post new events,
 * then restarted. Nothing acknowledged may be lost, nothing may be half written, the outage must
 * be answered with 503s rather than hangs, and the server must come back by itself.
 */
const SENDERS = 16;
/** Crash cycles: each kill catches different transactions half way. */
const CRASHES = 3;
/** Acknowledged events before each kill and after the last recovery, so every side carries load. */
const ACKNOWLEDGED_BETWEEN_CRASHES = 100;
/** The database stays down at least this long, and until the senders have seen this many 503s. */
const OUTAGE_MS_MIN = 1_500;
const OUTAGE_ANSWERS_MIN = 16;
/**
 * An answer during the outage must come within this bound: the pool's connect timeout in the
 * fault server's settings (2 s) plus a generous allowance for a loaded machine. A hang would be
 * the client's 30 s deadline.
 */
const OUTAGE_ANSWER_MS_MAX = 10_000;
const RECOVERY_MS_MAX = 30_000;

let rig: FaultRig;
beforeAll(async () => {
  rig = await startFaultRig({ database: 'ledger_db_crash', connections: SENDERS });
}, 90_000);
afterAll(() => rig?.close(), 30_000);

interface CrashFigures {
  readyDuringOutage: string;
  orphansKilled: number;
  databaseRestartMs: number;
  readyAfterRestartMs: number;
  readyAfterKillMs: number;
}

function acknowledgedAtLeast(log: DeliveryLog, count: number): () => Promise<true | undefined> {
  return async () => {
    rig.server.assertRunning();
    return log.count('created') >= count ? true : undefined;
  };
}

/**
 * Kills the postmaster under load, keeps it down until the senders have met the outage, restarts
 * it, and waits for the server to report ready again by itself (nothing restarts the server).
 */
async function crashAndRecover(log: DeliveryLog): Promise<CrashFigures> {
  const killedAt = performance.now();
  const { orphansKilled } = await rig.cluster.crash();
  const deliveriesBeforeOutage = log.records.length;
  const ready = await rig.client.get('/ready');
  const readyDuringOutage =
    ready.kind === 'answer' ? `${ready.status} ${isUnavailableEnvelope(ready.body) ? 'SERVICE_UNAVAILABLE' : JSON.stringify(ready.body)}` : ready.message;
  await pollUntil('503 answers during the outage', 60_000, async () => {
    rig.server.assertRunning();
    const answered = log.records.slice(deliveriesBeforeOutage).filter((r) => r.outcome === 'unavailable');
    return answered.length >= OUTAGE_ANSWERS_MIN && performance.now() - killedAt >= OUTAGE_MS_MIN ? true : undefined;
  });
  const restartedAt = performance.now();
  await rig.cluster.start();
  const databaseRestartMs = Math.round(performance.now() - restartedAt);
  await pollUntil('/ready after the restart', RECOVERY_MS_MAX, async () => {
    const answer = await rig.client.get('/ready');
    return answer.kind === 'answer' && answer.status === 200 ? true : undefined;
  });
  const readyAt = performance.now();
  return {
    readyDuringOutage,
    orphansKilled,
    databaseRestartMs,
    readyAfterRestartMs: Math.round(readyAt - restartedAt),
    readyAfterKillMs: Math.round(readyAt - killedAt),
  };
}

describe('the database killed mid-load', () => {
  it('loses no acknowledged event, writes no partial event, answers 503 during the outage and recovers by itself', { timeout: 150_000 }, async () => {
    const events = eventStream({
      prefix: 'evt_dbkill',
      count: 6_000,
      restaurants: Array.from({ length: 20 }, (_, i) => `res_dbkill_${i}`),
      currencies: ['PEN', 'USD'],
      from: new Date(Date.now() - 3 * 86_400_000),
      stepMs: 20,
      seed: 8_001,
    });
    let sent = 0;
    let stopped = false;
    const log = new DeliveryLog();
    const load = runLoad({ client: rig.client, route: singleRoute, senders: SENDERS, next: () => events[sent++], log, stop: () => stopped, backoffMs: 250 });

    const crashes: CrashFigures[] = [];
    for (let cycle = 0; cycle < CRASHES; cycle += 1) {
      await pollUntil('acknowledged events before the kill', 60_000, acknowledgedAtLeast(log, log.count('created') + ACKNOWLEDGED_BETWEEN_CRASHES));
      crashes.push(await crashAndRecover(log));
    }
    await pollUntil('acknowledged events after recovery', 60_000, acknowledgedAtLeast(log, log.count('created') + ACKNOWLEDGED_BETWEEN_CRASHES));
    stopped = true;
    await load;

    // The outages were answered, in the envelope, in bounded time, and the server never went down.
    for (const crash of crashes) expect(crash.readyDuringOutage, 'GET /ready while the database is down').toBe('503 SERVICE_UNAVAILABLE');
    expect(log.unexpected().slice(0, 5), 'deliveries answered with something other than 201, 200 or a 503 envelope').toEqual([]);
    expect(log.count('network'), 'deliveries that got no HTTP answer (a hang or a dropped connection)').toBe(0);
    expect(log.slowest('unavailable')).toBeLessThan(OUTAGE_ANSWER_MS_MAX);
    expect(rig.server.child.exitCode, rig.server.output()).toBeNull();

    // Before anyone retries: every acknowledged event is there, whole.
    const attempted = events.slice(0, sent);
    const acknowledged = log.acknowledged();
    const afterCrash = await auditLedger(rig.databaseUrl, attempted.filter((e) => acknowledged.has(e.event_id)));
    const lost = afterCrash.missing;
    const beforeRetries = await auditLedger(rig.databaseUrl, attempted);
    expect(lost, 'acknowledged events missing from the database').toEqual([]);
    expect(beforeRetries.partial, 'events recorded with only some of their entries').toEqual([]);
    expect(beforeRetries.doubled).toEqual([]);

    // Processors retry what failed; then every event is recorded exactly once.
    const unacknowledged = new Set(log.unacknowledged());
    await retryUntilAnswered(attempted.filter((e) => unacknowledged.has(e.event_id)), {
      client: rig.client, route: singleRoute, senders: SENDERS, log, attemptsMax: 10, backoffMs: 200,
    });
    const final = await auditLedger(rig.databaseUrl, attempted);
    expect(log.unacknowledged()).toEqual([]);
    expect(final).toMatchObject({ recorded: attempted.length, missing: [], unexpected: [], partial: [], doubled: [] });
    const { server: balances, model } = await balancesBesideModel(rig.client, attempted, new Date());
    expect(balances).toEqual(model);

    printFigures('database killed mid-load', {
      'deliveries made': log.records.length,
      acknowledged: acknowledged.size,
      '503 answers': log.count('unavailable'),
      'slowest 503 (ms)': log.slowest('unavailable'),
      'committed but unacknowledged (200 on retry)': log.records.filter((r) => r.outcome === 'replayed').length,
      recorded: final.recorded,
      lost: lost.length,
      doubled: final.doubled.length,
      partial: beforeRetries.partial.length,
      crashes: crashes.length,
      'orphaned backends killed': crashes.map((c) => c.orphansKilled).join('/'),
      'database restart incl. crash recovery (ms)': crashes.map((c) => c.databaseRestartMs).join('/'),
      'recovery: /ready after restart (ms)': crashes.map((c) => c.readyAfterRestartMs).join('/'),
      'recovery: /ready after kill (ms)': crashes.map((c) => c.readyAfterKillMs).join('/'),
    });
  });
});
