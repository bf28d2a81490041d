import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRestaurant,
  getBalance,
  ingestEvent,
  type LedgerContext,
  listPayouts,
  requestPayoutRun,
  updateRestaurant,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, refundEvent, type TestDatabase } from './support/index.ts';

/**
 * Random event streams under random, changing settlement settings (docs/settlement-settings.md):
 * charges, refunds, reserve and minimum changes, payout runs and their outcomes, with the clock
 * moving forward. After every stream:
 * - the sum of all entries is the balance's total, and available + pending + reserved = total at
 *   every as_of, each part equal to its plain definition;
 * - every charge's entries are what the settings in force when it was recorded say, and no later
 *   change altered any entry written before it;
 * - no payout is below the payout_minimum in force when it was made, nor its run's min_amount, nor 0.
 */
const START_MS = Date.parse('2026-01-01T00:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const MATURITY_DAYS = 3;
const CURRENCIES = ['PEN', 'USD'] as const;

let testDb: TestDatabase;
let nowMs = START_MS;
let ctx: LedgerContext;

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: () => new Date(nowMs) });
});
afterAll(() => testDb.close());

const currencyArb = fc.constantFrom(...CURRENCIES);
const stepArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('charge' as const),
      currency: currencyArb,
      amount: fc.integer({ min: 1, max: 60_000 }),
      feePermille: fc.integer({ min: 0, max: 1000 }),
      ageDays: fc.integer({ min: 0, max: 20 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refund' as const), currency: currencyArb, amount: fc.integer({ min: 1, max: 20_000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('settings' as const),
      reserve_percent: fc.oneof(fc.constant(0), fc.constant(10_000), fc.integer({ min: 0, max: 10_000 })),
      reserve_days: fc.integer({ min: 0, max: 30 }),
      payout_minimum: fc.dictionary(currencyArb, fc.integer({ min: 0, max: 80_000 }), { maxKeys: 2 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('payout' as const), currency: currencyArb, minAmount: fc.integer({ min: 0, max: 30_000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), days: fc.integer({ min: 1, max: 15 }) }) },
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

interface Settings {
  reserve_percent: number;
  reserve_days: number;
  payout_minimum: Partial<Record<string, number>>;
}

interface EntryRow {
  id: string;
  event_id: string | null;
  payout_id: string | null;
  currency: string;
  entry_type: string;
  amount: number;
  occurred_at: Date;
  available_at: Date;
}

async function entriesOf(restaurantId: string): Promise<EntryRow[]> {
  const { rows } = await sql<EntryRow>`
    SELECT le.id::text AS id, pe.event_id, le.payout_id::text AS payout_id, le.currency, le.entry_type, le.amount_minor::float8 AS amount,
           le.occurred_at, le.available_at
    FROM ledger_entries le LEFT JOIN processor_events pe ON pe.id = le.processor_event_id
    WHERE le.restaurant_id = ${restaurantId} ORDER BY le.id`.execute(testDb.db);
  return rows;
}

/** What a charge recorded under `settings` must have written (independent of the code's own computation). */
function expectedCharge(amount: number, fee: number, occurredMs: number, settings: Settings) {
  const share = Math.floor((amount * settings.reserve_percent) / 10_000);
  const matured = occurredMs + MATURITY_DAYS * DAY_MS;
  return [
    { entry_type: 'sale', amount, available_at: matured },
    ...(fee > 0 ? [{ entry_type: 'fee', amount: -fee, available_at: matured }] : []),
    ...(share > 0
      ? [
          { entry_type: 'reserve_hold', amount: -share, available_at: matured },
          { entry_type: 'reserve_release', amount: share, available_at: matured + settings.reserve_days * DAY_MS },
        ]
      : []),
  ];
}

/** A stream's state: the settings in force, what each charge must have written, the minimums each payout run saw. */
class StreamModel {
  settings: Settings = { reserve_percent: 0, reserve_days: 0, payout_minimum: {} };
  readonly charges = new Map<string, ReturnType<typeof expectedCharge>>();
  readonly runMinimums: Array<{ currency: string; minAmount: number; payoutMinimum: number; before: Set<string> }> = [];
  seq = 0;
  constructor(readonly restaurantId: string) {}
}

async function applyStep(model: StreamModel, step: Step): Promise<void> {
  const { restaurantId } = model;
  model.seq += 1;
  const eventId = `${restaurantId}_${model.seq}`;
  if (step.kind === 'tick') nowMs += step.days * DAY_MS;
  if (step.kind === 'settings') {
    await updateRestaurant(ctx, { restaurant_id: restaurantId, ...step });
    model.settings = { ...step };
  }
  if (step.kind === 'charge') {
    const occurredMs = nowMs - step.ageDays * DAY_MS;
    const fee = Math.floor((step.amount * step.feePermille) / 1000);
    const event = chargeEvent({ event_id: eventId, restaurant_id: restaurantId, currency: step.currency, occurred_at: new Date(occurredMs).toISOString(), amount: step.amount, fee });
    await ingestEvent(ctx, event, {});
    model.charges.set(eventId, expectedCharge(step.amount, fee, occurredMs, model.settings));
  }
  if (step.kind === 'refund') {
    await ingestEvent(ctx, refundEvent({ event_id: eventId, restaurant_id: restaurantId, currency: step.currency, occurred_at: new Date(nowMs).toISOString(), amount: step.amount }), {});
  }
  if (step.kind === 'payout') await payOut(model, step.currency, step.minAmount);
}

/** A run for today, then every payout it made marked paid (so the next run may pay again). */
async function payOut(model: StreamModel, currency: string, minAmount: number): Promise<void> {
  const before = new Set((await listPayouts(ctx, { restaurant_id: model.restaurantId, limit: 200 })).items.map((p) => p.payout_id));
  model.runMinimums.push({ currency, minAmount, payoutMinimum: model.settings.payout_minimum[currency] ?? 0, before });
  await requestPayoutRun(ctx, { currency, as_of: new Date(nowMs).toISOString().slice(0, 10), min_amount: minAmount });
  while ((await workNextPayoutRun(ctx, { owner: 'settlement-property' })) !== undefined) {}
  for (const payout of (await listPayouts(ctx, { restaurant_id: model.restaurantId, status: 'created', limit: 200 })).items) {
    const paid = { event_id: `paid_${payout.payout_id}`, event_type: 'payout_paid', restaurant_id: model.restaurantId, currency: payout.currency };
    await ingestEvent(ctx, chargeEvent({ ...paid, occurred_at: new Date(nowMs).toISOString(), amount: payout.amount, fee: 0, metadata: { payout_id: payout.payout_id } }), {});
  }
}

async function expectBalancesAddUp(restaurantId: string, entries: readonly EntryRow[]): Promise<void> {
  const moments = [START_MS - DAY_MS, START_MS, nowMs - 20 * DAY_MS, nowMs - 3 * DAY_MS, nowMs, nowMs + 5 * DAY_MS, nowMs + 60 * DAY_MS];
  for (const currency of CURRENCIES) {
    const mine = entries.filter((entry) => entry.currency === currency);
    for (const ms of moments) {
      const balance = await getBalance(ctx, { restaurant_id: restaurantId, currency, as_of: new Date(ms) });
      const counted = mine.filter((entry) => entry.occurred_at.getTime() <= ms);
      const sum = (list: readonly EntryRow[]) => list.reduce((total, entry) => total + entry.amount, 0);
      const unmatured = counted.filter((entry) => entry.available_at.getTime() > ms);
      expect(balance.available + balance.pending + balance.reserved).toBe(balance.total);
      expect(balance.total).toBe(sum(counted));
      expect(balance.reserved).toBe(sum(unmatured.filter((entry) => entry.entry_type === 'reserve_release')));
      expect(balance.pending).toBe(sum(unmatured.filter((entry) => entry.entry_type !== 'reserve_release')));
    }
  }
}

function expectChargesAsRecorded(model: StreamModel, entries: readonly EntryRow[]): void {
  for (const [eventId, expected] of model.charges) {
    const written = entries
      .filter((entry) => entry.event_id === eventId)
      .map((entry) => ({ entry_type: entry.entry_type, amount: entry.amount, available_at: entry.available_at.getTime() }));
    expect(written, eventId).toEqual(expected);
  }
}

/** Payouts checked across all streams: the property must not pass by paying nothing. */
let payoutsChecked = 0;

async function expectNoPayoutBelowMinimum(model: StreamModel): Promise<void> {
  const payouts = (await listPayouts(ctx, { restaurant_id: model.restaurantId, limit: 200 })).items;
  for (const [index, run] of model.runMinimums.entries()) {
    const after = model.runMinimums[index + 1]?.before ?? new Set(payouts.map((p) => p.payout_id));
    const made = payouts.filter((p) => !run.before.has(p.payout_id) && after.has(p.payout_id));
    for (const payout of made) {
      expect(payout.currency).toBe(run.currency);
      expect(payout.amount).toBeGreaterThan(0);
      expect(payout.amount).toBeGreaterThanOrEqual(run.minAmount);
      expect(payout.amount).toBeGreaterThanOrEqual(run.payoutMinimum);
      payoutsChecked += 1;
    }
  }
}

describe('settlement settings over random event streams', () => {
  it('keep entries = total = available + pending + reserved, charges as recorded, and payouts above every minimum', { timeout: 240_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 4, maxLength: 30 }), async (steps) => {
        run += 1;
        nowMs = START_MS + run * 400 * DAY_MS; // each stream in its own stretch of time
        const model = new StreamModel(`res_ss_${run}`);
        await createRestaurant(ctx, { restaurant_id: model.restaurantId, maturity_days: MATURITY_DAYS });
        let previous: EntryRow[] = [];
        for (const step of steps) {
          await applyStep(model, step);
          const entries = await entriesOf(model.restaurantId);
          // Nothing written before this step changed: the earlier entries are a prefix, untouched.
          expect(entries.slice(0, previous.length)).toEqual(previous);
          previous = entries;
        }
        expectChargesAsRecorded(model, previous);
        await expectBalancesAddUp(model.restaurantId, previous);
        await expectNoPayoutBelowMinimum(model);
      }),
      { numRuns: 12 },
    );
    expect(payoutsChecked).toBeGreaterThan(0);
  });
});
