import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchRoute, DeliveryLog, deliverShots, singleRoute } from './support/deliveries.ts';
import { type FaultRig, startFaultRig } from './support/fault-rig.ts';
import { printFigures } from './support/figures.ts';
import { auditLedger, balancesBesideModel } from './support/ledger-audit.ts';
import { eventStream } from './support/ledger-model.ts';
import { planStorm, type StormMix } from './support/storm-plan.ts';

/**
 * Scenario 3: a processor's retry storm. 500 distinct events, each delivered 20 times in a
 * shuffled order over 64 connections at once: the ledger must hold each event once, with exactly
 * the entries an independent model computes, and the model's balances.
 */
const DISTINCT_EVENTS = 500;
const COPIES = 20;
const CONNECTIONS = 64;
/** The routes the storm goes through: half the deliveries one event per request, half in batches. */
const MIX: readonly StormMix[] = [
  { route: singleRoute, share: 0.5 },
  { route: batchRoute, share: 0.5 },
];

let rig: FaultRig;
beforeAll(async () => {
  rig = await startFaultRig({ database: 'ledger_storm', connections: CONNECTIONS });
}, 90_000);
afterAll(() => rig?.close(), 30_000);

describe('a duplicate storm', () => {
  it('records 500 distinct events once each, with exactly the entries and balances of an independent model', { timeout: 240_000 }, async () => {
    const events = eventStream({
      prefix: 'evt_storm',
      count: DISTINCT_EVENTS,
      restaurants: Array.from({ length: 25 }, (_, i) => `res_storm_${i}`),
      currencies: ['PEN', 'USD', 'MXN'],
      // Spread over 17 days: some sales matured, some pending, refunds available at once.
      from: new Date(Date.now() - 17 * 86_400_000),
      stepMs: 2_937_600,
      seed: 8_003,
    });
    const shots = planStorm(events, { copies: COPIES, mix: MIX, seed: 8_004 });
    const log = new DeliveryLog();
    const started = performance.now();
    await deliverShots(shots, { client: rig.client, senders: CONNECTIONS, log, attemptsMax: 10, backoffMs: 200 });
    const stormMs = performance.now() - started;

    const created = log.records.filter((r) => r.outcome === 'created');
    expect(log.unexpected().slice(0, 5), 'deliveries answered with something other than 201, 200 or a 503 envelope').toEqual([]);
    expect(log.count('network'), 'deliveries that got no HTTP answer').toBe(0);
    expect(created.length, 'deliveries answered 201').toBe(DISTINCT_EVENTS);
    expect(new Set(created.map((r) => r.event_id)).size).toBe(DISTINCT_EVENTS);
    expect(log.count('replayed'), 'deliveries answered 200 idempotent').toBe(DISTINCT_EVENTS * (COPIES - 1));

    const audit = await auditLedger(rig.databaseUrl, events);
    expect(audit).toEqual({ recorded: DISTINCT_EVENTS, missing: [], unexpected: [], partial: [], doubled: [] });
    const asOf = new Date();
    const { server: balances, model } = await balancesBesideModel(rig.client, events, asOf);
    expect(balances).toEqual(model);

    const byRoute = (name: string) => log.records.filter((r) => r.route === name).length;
    printFigures('duplicate storm', {
      'distinct events': DISTINCT_EVENTS,
      'deliveries made': log.records.length,
      'by the single route': byRoute('single'),
      'by the batch route': byRoute('batch'),
      connections: CONNECTIONS,
      acknowledged: log.count('created') + log.count('replayed'),
      '201 created': created.length,
      '200 idempotent': log.count('replayed'),
      '503 (retried)': log.count('unavailable'),
      recorded: audit.recorded,
      lost: audit.missing.length,
      doubled: audit.doubled.length,
      'balances checked': Object.keys(model).length,
      'storm duration (ms)': Math.round(stormMs),
      'deliveries per second': Math.round(log.records.length / (stormMs / 1000)),
    });
  });
});
