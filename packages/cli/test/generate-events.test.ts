import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateEvents, renderEventsFile, type SampleEvent } from '../src/index.ts';
import { EVENTS_FILE } from './support/event-files.ts';

const COMMITTED_SEED = 42;
const sample = generateEvents(COMMITTED_SEED);
const events = sample.lines.map((line) => JSON.parse(line) as SampleEvent);

describe('generateEvents', () => {
  it('gives identical bytes for the same seed and a different file for a different seed', () => {
    expect(renderEventsFile(generateEvents(COMMITTED_SEED))).toBe(renderEventsFile(sample));
    expect(renderEventsFile(generateEvents(COMMITTED_SEED + 1))).not.toBe(renderEventsFile(sample));
  });

  it('is what events/events.jsonl holds for seed 42, so the committed file can be regenerated', () => {
    expect(readFileSync(EVENTS_FILE, 'utf8')).toBe(renderEventsFile(sample));
  });

  it('covers at least six restaurants, PEN, USD and MXN, and a restaurant with more than one currency', () => {
    expect(sample.stats.restaurants).toBeGreaterThanOrEqual(6);
    expect(sample.stats.currencies).toEqual(['MXN', 'PEN', 'USD']);
    const currenciesByRestaurant = new Map<string, Set<string>>();
    for (const e of events) currenciesByRestaurant.set(e.restaurant_id, (currenciesByRestaurant.get(e.restaurant_id) ?? new Set()).add(e.currency));
    expect([...currenciesByRestaurant.values()].some((currencies) => currencies.size > 1)).toBe(true);
  });

  it('has about 400 lines with charges, refunds, payout events, exact duplicates and late deliveries', () => {
    expect(sample.stats.lines).toBeGreaterThanOrEqual(350);
    expect(sample.stats.lines).toBeLessThanOrEqual(450);
    expect(sample.stats).toMatchObject({ lines: events.length, duplicateLines: expect.any(Number) });
    for (const count of [sample.stats.charges, sample.stats.refunds, sample.stats.payoutEvents, sample.stats.duplicateLines, sample.stats.lateLines]) {
      expect(count).toBeGreaterThan(0);
    }
  });

  it('gives every charge a fee no larger than its amount', () => {
    const charges = events.filter((e) => e.event_type === 'charge_succeeded');
    expect(charges.every((c) => c.fee !== undefined && c.fee > 0 && c.fee <= c.amount)).toBe(true);
  });

  it('refunds only earlier charges, by their payment, restaurant and currency, for at most the charged amount', () => {
    const chargesByPayment = new Map(events.filter((e) => e.event_type === 'charge_succeeded').map((c) => [c.metadata.payment_id, c]));
    for (const refund of events.filter((e) => e.event_type === 'refund_succeeded')) {
      const charge = chargesByPayment.get(refund.metadata.payment_id);
      expect(charge, refund.event_id).toBeDefined();
      expect(refund).toMatchObject({ restaurant_id: charge?.restaurant_id, currency: charge?.currency });
      expect(refund.amount).toBeLessThanOrEqual(charge?.amount ?? 0);
      expect(refund.occurred_at > (charge?.occurred_at ?? '')).toBe(true);
    }
  });

  it('names only payouts that cannot exist (payout ids are decimal) and gives payout events no fee', () => {
    const payoutEvents = events.filter((e) => e.event_type === 'payout_paid' || e.event_type === 'payout_failed');
    expect(payoutEvents.length).toBeGreaterThan(0);
    for (const e of payoutEvents) {
      expect(e.metadata.payout_id).toMatch(/^po_sample_/);
      expect(e.fee).toBeUndefined();
    }
  });

  it('puts every event in November or December 2025, in the past, at whole seconds', () => {
    for (const e of events) {
      expect(e.occurred_at).toMatch(/^2025-1[12]-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });
});
