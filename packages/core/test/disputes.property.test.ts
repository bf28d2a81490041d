import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getBalance,
  ingestEvent,
  integrityReport,
  int8ToSafeInteger,
  type Int8Value,
  isLedgerError,
  type LedgerContext,
  listPayouts,
  type ProcessorEventInput,
  requestPayoutRun,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, type TestDatabase } from './support/index.ts';

/**
 * Random event streams of charges, refunds, disputes opened, won and lost (valid and invalid
 * lifecycles, known and unknown charges) and payout runs. A small model predicts each dispute
 * event's answer; after the stream: every balance is the sum of its entries, no payout was made of
 * an amount <= 0, payout items sum to the amount, Q4 finds nothing but the unknown charges, and
 * replaying the accepted events (out of order, with duplicates) changes nothing.
 */
const START = new Date('2026-03-01T00:00:00Z');
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const RESTAURANTS = 2;

let testDb: TestDatabase;
let ctx: LedgerContext;
let now = new Date(START);

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: () => new Date(now) });
});
afterAll(() => testDb.close());

const ageArb = fc.integer({ min: 0, max: 20 * 24 * 60 });
const stepArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('charge' as const), restaurant: fc.nat(), amount: fc.integer({ min: 100, max: 20_000 }), age: ageArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), charge: fc.nat(), amount: fc.integer({ min: 1, max: 10_000 }), age: ageArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('open' as const),
      charge: fc.option(fc.nat(), { freq: 4 }),
      restaurant: fc.nat(),
      amount: fc.integer({ min: 1, max: 15_000 }),
      fee: fc.constantFrom(0, 0, 1500),
      age: ageArb,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('close' as const),
      dispute: fc.nat(),
      outcome: fc.constantFrom('dispute_won' as const, 'dispute_lost' as const),
      wrongAmount: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
      age: ageArb,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('payout_run' as const), daysBack: fc.integer({ min: 0, max: 15 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('settle' as const) }) },
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

interface ChargeModel {
  event_id: string;
  restaurant_id: string;
  amount: number;
  payment_id: string;
  refunded: number;
}
interface DisputeModel {
  dispute_id: string;
  restaurant_id: string;
  amount: number;
  status: 'open' | 'won' | 'lost';
  charge: ChargeModel | undefined;
}
interface World {
  run: number;
  currency: string;
  restaurants: string[];
  charges: ChargeModel[];
  disputes: DisputeModel[];
  /** Events recorded (201), for the replay at the end. */
  accepted: ProcessorEventInput[];
}

const pick = <T>(items: readonly T[], index: number): T | undefined => items[index % Math.max(items.length, 1)];
const ago = (minutes: number) => new Date(now.getTime() - minutes * MINUTE_MS).toISOString();

function currencyCode(index: number): string {
  const letter = (k: number) => String.fromCharCode(65 + (k % 26));
  return `Q${letter(Math.floor(index / 26))}${letter(index)}`;
}

/** Sends an event; returns the error code, or null when it was recorded. */
async function send(world: World, event: ProcessorEventInput): Promise<string | null> {
  try {
    const result = await ingestEvent(ctx, event, {});
    expect(result.idempotent).toBe(false);
    world.accepted.push(event);
    return null;
  } catch (error) {
    if (isLedgerError(error)) return error.code;
    throw error;
  }
}

function claimed(world: World, charge: ChargeModel): number {
  const disputed = world.disputes.filter((d) => d.charge === charge && d.status !== 'won').reduce((sum, d) => sum + d.amount, 0);
  return charge.refunded + disputed;
}

async function openDispute(world: World, step: Extract<Step, { kind: 'open' }>, id: string): Promise<void> {
  const charge = step.charge === null ? undefined : pick(world.charges, step.charge);
  const restaurant = charge?.restaurant_id ?? (pick(world.restaurants, step.restaurant) as string);
  const metadata = { dispute_id: `d_${id}`, ...(charge === undefined ? { charge_event_id: `missing_${id}` } : { payment_id: charge.payment_id }) };
  const event = chargeEvent({ event_id: id, event_type: 'dispute_opened', restaurant_id: restaurant, currency: world.currency, amount: step.amount, fee: step.fee, occurred_at: ago(step.age), metadata });
  const expected = charge !== undefined && step.amount > charge.amount - claimed(world, charge) ? 'DISPUTE_EXCEEDS_CHARGE' : null;
  expect(await send(world, event), `dispute_opened ${id}`).toBe(expected);
  if (expected === null) world.disputes.push({ dispute_id: `d_${id}`, restaurant_id: restaurant, amount: step.amount, status: 'open', charge });
}

async function closeDispute(world: World, step: Extract<Step, { kind: 'close' }>, id: string): Promise<void> {
  // One pick in four names a dispute never opened.
  const dispute = step.dispute % 4 === 3 ? undefined : pick(world.disputes, step.dispute);
  const amount = (dispute?.amount ?? 500) + (step.wrongAmount ? 1 : 0);
  const event = chargeEvent({
    event_id: id,
    event_type: step.outcome,
    restaurant_id: dispute?.restaurant_id ?? world.restaurants[0],
    currency: world.currency,
    amount,
    fee: 0,
    occurred_at: ago(step.age),
    metadata: { dispute_id: dispute?.dispute_id ?? `never_${id}` },
  });
  const expected =
    dispute === undefined ? 'DISPUTE_NOT_OPEN' : dispute.status !== 'open' ? 'DISPUTE_ALREADY_CLOSED' : step.wrongAmount ? 'DISPUTE_MISMATCH' : null;
  expect(await send(world, event), `${step.outcome} ${id}`).toBe(expected);
  if (expected === null && dispute !== undefined) dispute.status = step.outcome === 'dispute_won' ? 'won' : 'lost';
}

async function applyStep(world: World, step: Step, index: number): Promise<void> {
  const id = `p${world.run}_${index}`;
  now = new Date(now.getTime() + 3 * 60 * MINUTE_MS);
  if (step.kind === 'charge') {
    const charge = { event_id: id, restaurant_id: pick(world.restaurants, step.restaurant) as string, amount: step.amount, payment_id: `pay_${id}`, refunded: 0 };
    const event = chargeEvent({ event_id: id, restaurant_id: charge.restaurant_id, currency: world.currency, amount: step.amount, fee: 0, occurred_at: ago(step.age), metadata: { payment_id: charge.payment_id } });
    expect(await send(world, event)).toBeNull();
    world.charges.push(charge);
  } else if (step.kind === 'refund') {
    const charge = pick(world.charges, step.charge);
    if (charge === undefined) return;
    const event = chargeEvent({ event_id: id, event_type: 'refund_succeeded', restaurant_id: charge.restaurant_id, currency: world.currency, amount: step.amount, fee: 0, occurred_at: ago(step.age), metadata: { payment_id: charge.payment_id } });
    expect(await send(world, event)).toBeNull();
    charge.refunded += step.amount;
  } else if (step.kind === 'open') await openDispute(world, step, id);
  else if (step.kind === 'close') await closeDispute(world, step, id);
  else if (step.kind === 'payout_run') {
    await requestPayoutRun(ctx, { currency: world.currency, as_of: new Date(now.getTime() - step.daysBack * DAY_MS).toISOString().slice(0, 10), min_amount: 0 });
    while ((await workNextPayoutRun(ctx, { owner: `disputes-property-${world.run}`, batchSize: 2 })) !== undefined) {}
  } else await settleOpenPayouts(world, id);
}

/** The processor pays every open payout, so later runs are not blocked by them. */
async function settleOpenPayouts(world: World, id: string): Promise<void> {
  const { items } = await listPayouts(ctx, { currency: world.currency, status: 'created', limit: 200 });
  for (const payout of items) {
    const event = chargeEvent({ event_id: `${id}_${payout.payout_id}`, event_type: 'payout_paid', restaurant_id: payout.restaurant_id, currency: world.currency, amount: payout.amount, fee: 0, occurred_at: now.toISOString(), metadata: { payout_id: payout.payout_id } });
    expect(await send(world, event)).toBeNull();
  }
}

async function entrySums(world: World): Promise<Map<string, number>> {
  const { rows } = await sql<{ restaurant_id: string; total: Int8Value }>`
    SELECT restaurant_id, SUM(amount_minor) AS total FROM ledger_entries WHERE currency = ${world.currency} GROUP BY restaurant_id`.execute(testDb.db);
  return new Map(rows.map((row) => [row.restaurant_id, int8ToSafeInteger(row.total)]));
}

async function balances(world: World): Promise<unknown[]> {
  return Promise.all(world.restaurants.map((restaurant_id) => getBalance(ctx, { restaurant_id, currency: world.currency }).catch(() => null)));
}

async function checkInvariants(world: World): Promise<void> {
  const sums = await entrySums(world);
  for (const restaurant_id of world.restaurants) {
    if (!sums.has(restaurant_id)) continue;
    const balance = await getBalance(ctx, { restaurant_id, currency: world.currency });
    expect(balance.total, `total of ${restaurant_id}`).toBe(sums.get(restaurant_id));
  }
  const { items: payouts } = await listPayouts(ctx, { currency: world.currency, limit: 200 });
  for (const payout of payouts) {
    expect(payout.amount).toBeGreaterThan(0);
    expect(payout.items.reduce((sum, item) => sum + item.amount, 0)).toBe(payout.amount);
    expect(payout.deficit_recovered).toBeGreaterThanOrEqual(0);
  }
  const report = await integrityReport(ctx);
  expect(report.items.filter((item) => item.reason !== 'DISPUTE_CHARGE_NOT_FOUND')).toEqual([]);
}

async function replayChangesNothing(world: World, rotate: number): Promise<void> {
  const before = await balances(world);
  const rotated = [...world.accepted.slice(rotate % Math.max(world.accepted.length, 1)), ...world.accepted];
  for (const event of rotated.reverse()) {
    expect((await ingestEvent(ctx, event, {})).idempotent, `replay of ${event.event_id}`).toBe(true);
  }
  expect(await balances(world)).toEqual(before);
}

describe('random streams of charges, refunds, disputes and payout runs', () => {
  it('keep every balance equal to its entries, pay nothing out of a balance <= 0, and replay to the same ledger', { timeout: 240_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 30 }), fc.nat(), async (steps, rotate) => {
        run += 1;
        now = new Date(START.getTime() + run * 40 * DAY_MS);
        const world: World = {
          run,
          currency: currencyCode(run),
          restaurants: Array.from({ length: RESTAURANTS }, (_, i) => `dr${run}_${i}`),
          charges: [],
          disputes: [],
          accepted: [],
        };
        for (const [index, step] of steps.entries()) await applyStep(world, step, index);
        await checkInvariants(world);
        await replayChangesNothing(world, rotate);
        await checkInvariants(world);
      }),
      { numRuns: 25 },
    );
  });
});
