import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../support/server-process.ts';
import { DeliveryLog, deliverShots, type Shot, singleRoute } from './support/deliveries.ts';
import { type FaultRig, startFaultRig } from './support/fault-rig.ts';
import { printFigures } from './support/figures.ts';
import { createHttpClient, type HttpClient } from './support/http-client.ts';
import { balancesBesideModel } from './support/ledger-audit.ts';
import { entriesOf, eventStream, type ModelEvent, pairsOf, shuffled, statementOf } from './support/ledger-model.ts';

/**
 * Scenario 4: the same events delivered in occurred_at order to one database, and out of order
 * and late (the oldest fifth arriving last, years after they occurred) to another. Balances,
 * statements and time-travel answers must be the same on both, and the model's.
 */
const EVENTS = 300;
/** The oldest fifth of the stream is held back and delivered after everything else. */
const LATE_SHARE = 0.2;
const DAY_MS = 86_400_000;
/** Balances are compared at this many moments, chosen around events and maturities. */
const INSTANTS = 40;

let rig: FaultRig;
let outOfOrder: ServerProcess;
let outOfOrderClient: HttpClient;

beforeAll(async () => {
  rig = await startFaultRig({ database: 'ledger_in_order', connections: 8 });
  outOfOrder = await rig.startServer({ databaseUrl: await rig.cluster.createDatabase('ledger_out_of_order') });
  outOfOrderClient = createHttpClient(outOfOrder.url, { connections: 8, timeoutMs: 30_000 });
}, 90_000);

afterAll(async () => {
  outOfOrderClient?.close();
  await rig?.close();
}, 30_000);

/** Two years of events, one every 2.4 days, the last ones still maturing. */
function twoYearsOfEvents(): ModelEvent[] {
  const stepMs = 2.4 * DAY_MS;
  return eventStream({
    prefix: 'evt_clock',
    count: EVENTS,
    restaurants: ['res_clock_a', 'res_clock_b', 'res_clock_c', 'res_clock_d', 'res_clock_e', 'res_clock_f'],
    currencies: ['PEN', 'USD'],
    // Odd milliseconds, so no moment compared below is accidentally a date boundary.
    from: new Date(Date.now() - (EVENTS + 1) * stepMs + 7),
    stepMs,
    seed: 8_004,
  });
}

describe('events delivered out of order and late', () => {
  it('give the same balances, statements and time-travel answers as in-order delivery', { timeout: 150_000 }, async () => {
    const events = twoYearsOfEvents();
    const lateCount = Math.round(EVENTS * LATE_SHARE);
    const late = events.slice(0, lateCount);
    const rest = shuffled(events.slice(lateCount), 8_005);
    const inOrderLog = new DeliveryLog();
    const outOfOrderLog = new DeliveryLog();
    const single = (event: ModelEvent): Shot => ({ route: singleRoute, events: [event] });
    // In order: one sender, one event after the other. Out of order: eight senders racing over a shuffle, then the late ones.
    await deliverShots(events.map(single), { client: rig.client, senders: 1, log: inOrderLog, attemptsMax: 5, backoffMs: 200 });
    await deliverShots(rest.map(single), { client: outOfOrderClient, senders: 8, log: outOfOrderLog, attemptsMax: 5, backoffMs: 200 });
    await deliverShots(shuffled(late, 8_006).map(single), { client: outOfOrderClient, senders: 8, log: outOfOrderLog, attemptsMax: 5, backoffMs: 200 });
    for (const log of [inOrderLog, outOfOrderLog]) {
      expect(log.count('created')).toBe(EVENTS);
      expect(log.records.filter((r) => r.outcome !== 'created')).toEqual([]);
    }

    // Time travel: balances at moments around events and maturities, both databases and the model.
    const instants = momentsToCompare(events);
    const balancesAt = await Promise.all(
      instants.map(async (asOf) => ({
        asOf: asOf.toISOString(),
        inOrder: await balancesBesideModel(rig.client, events, asOf),
        outOfOrder: (await balancesBesideModel(outOfOrderClient, events, asOf)).server,
      })),
    );
    for (const { asOf, inOrder, outOfOrder: other } of balancesAt) {
      expect(inOrder.server, `balances as of ${asOf}, in-order delivery`).toEqual(inOrder.model);
      expect(other, `balances as of ${asOf}, out-of-order delivery`).toEqual(inOrder.model);
    }

    // Statements: every line and running balance, whole and as a paged range.
    const pairs = pairsOf(events);
    const rangeFrom = events[Math.floor(EVENTS / 3)]?.occurred_at ?? '';
    const rangeTo = events[Math.floor((2 * EVENTS) / 3)]?.occurred_at ?? '';
    for (const { restaurant_id, currency } of pairs) {
      const model = statementOf(events, restaurant_id, currency);
      const inRange = model.filter((line) => line.occurred_at >= rangeFrom && line.occurred_at <= rangeTo);
      const path = `/v1/restaurants/${restaurant_id}/statement?currency=${currency}`;
      const ranged = `${path}&from=${encodeURIComponent(rangeFrom)}&to=${encodeURIComponent(rangeTo)}&limit=7`;
      expect(await statement(rig.client, path), `statement of ${restaurant_id} ${currency}, in order`).toEqual(model);
      expect(await statement(outOfOrderClient, path), `statement of ${restaurant_id} ${currency}, out of order`).toEqual(model);
      expect(await statement(rig.client, ranged)).toEqual(inRange);
      expect(await statement(outOfOrderClient, ranged)).toEqual(inRange);
    }

    // The Q1 report at a moment two thirds of the way through, on both.
    const reportAt = `/v1/reports/balances?currency=PEN&as_of=${encodeURIComponent(rangeTo)}`;
    const reportInOrder = await rig.client.get(reportAt);
    const reportOutOfOrder = await outOfOrderClient.get(reportAt);
    expect(reportInOrder.kind === 'answer' && reportInOrder.status).toBe(200);
    expect(reportOutOfOrder.kind === 'answer' && reportOutOfOrder.body.data).toEqual(reportInOrder.kind === 'answer' && reportInOrder.body.data);

    printFigures('clock and order', {
      events: EVENTS,
      'delivered late (occurred up to 2 years before)': lateCount,
      'deliveries made': inOrderLog.records.length + outOfOrderLog.records.length,
      'restaurant/currency pairs': pairs.length,
      'time-travel moments compared': instants.length,
      'balances compared': instants.length * pairs.length * 2,
      'statement lines compared': pairs.reduce((sum, p) => sum + statementOf(events, p.restaurant_id, p.currency).length, 0) * 2,
    });
  });
});

/**
 * Moments where an off-by-one in time would show: an event's own instant and the millisecond
 * before it, a charge's maturity and the millisecond before it, and now.
 */
function momentsToCompare(events: readonly ModelEvent[]): Date[] {
  const every = Math.max(1, Math.floor(events.length / (INSTANTS / 4)));
  const moments = events
    .filter((_, index) => index % every === 0)
    .flatMap((event) => {
      const occurred = Date.parse(event.occurred_at);
      const matures = Date.parse(entriesOf(event)[0]?.available_at ?? event.occurred_at);
      return [occurred - 1, occurred, matures - 1, matures];
    });
  return [...moments.slice(0, INSTANTS - 1), Date.now()].map((ms) => new Date(ms));
}

/** Every line of a statement, following next_cursor, without the database's own entry ids. */
async function statement(client: HttpClient, path: string): Promise<unknown[]> {
  const lines: unknown[] = [];
  let cursor: string | null = null;
  do {
    const answer = await client.get(cursor === null ? path : `${path}&cursor=${cursor}`);
    if (answer.kind !== 'answer' || answer.status !== 200) throw new Error(`GET ${path}: ${JSON.stringify(answer)}`);
    const page = answer.body.data as { items: Array<Record<string, unknown>>; next_cursor: string | null };
    lines.push(...page.items.map(({ entry_id: _, payout_id: __, ...line }) => line));
    cursor = page.next_cursor;
  } while (cursor !== null);
  return lines;
}
