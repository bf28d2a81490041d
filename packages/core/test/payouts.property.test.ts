import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getBalance,
  getPayout,
  getPayoutRun,
  type IngestResult,
  ingestEvent,
  type Int8Value,
  int8ToSafeInteger,
  type LedgerContext,
  listPayouts,
  type Payout,
  type ProcessorEventInput,
  requestPayoutRun,
  workNextPayoutRun,
} from '../src/index.ts';
import { chargeEvent, createTestDatabase, refundEvent, settlementLinks, type TestDatabase } from './support/index.ts';

const START = '2026-01-10T00:00:00Z';
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const RESTAURANTS = 3;
const CURRENCIES = 2;

let testDb: TestDatabase;
let ctx: LedgerContext;
/** The clock the ledger reads; steps move it forward, each run starts it again at START. */
let now = new Date(START);

beforeAll(async () => {
  testDb = await createTestDatabase();
  ctx = testDb.context({ clock: () => new Date(now) });
});
afterAll(() => testDb.close());

const restaurantArb = fc.integer({ min: 0, max: RESTAURANTS - 1 });
const currencyArb = fc.integer({ min: 0, max: CURRENCIES - 1 });
/** occurred_at: up to 40 days before the clock's now, never after it. */
const ageMinutesArb = fc.integer({ min: 0, max: 40 * 24 * 60 });

const stepArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('charge' as const),
      restaurant: restaurantArb,
      currency: currencyArb,
      amount: fc.integer({ min: 1, max: 50_000 }),
      feePermille: fc.integer({ min: 0, max: 1000 }),
      ageMinutes: ageMinutesArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      restaurant: restaurantArb,
      currency: currencyArb,
      amount: fc.integer({ min: 1, max: 50_000 }),
      fee: fc.integer({ min: 0, max: 500 }),
      ageMinutes: ageMinutesArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 72 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('payout_run' as const),
      currency: currencyArb,
      daysBack: fc.integer({ min: 0, max: 10 }),
      minAmount: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 30_000 }) }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('outcome' as const),
      type: fc.constantFrom('payout_paid' as const, 'payout_failed' as const),
      /** Which payout, among those created so far. */
      pick: fc.nat(),
      target: fc.constantFrom('payout' as const, 'payout' as const, 'payout' as const, 'payout' as const, 'wrong_amount' as const, 'unknown_id' as const),
      delta: fc.integer({ min: 1, max: 1000 }),
      /** Where between the payout's creation and now the outcome occurred, in thousandths. */
      whenPermille: fc.integer({ min: 0, max: 1000 }),
    }),
  },
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

/** One fast-check run: its own restaurants and its own two currencies, so runs never see each other's payouts. */
interface World {
  run: number;
  restaurants: string[];
  currencies: string[];
  delivered: Array<{ event: ProcessorEventInput; result: IngestResult }>;
  /** restaurant|currency → the pair, for every pair an event named. */
  touched: Map<string, { restaurant_id: string; currency: string }>;
  /** restaurant|currency → what the charges and refunds delivered so far add up to. */
  eventsNet: Map<string, number>;
}

/** A fresh ISO-4217-shaped code per index: AAA, AAB, … (17,576 of them). */
function currencyCode(index: number): string {
  if (index >= 26 ** 3) throw new Error('out of fresh currency codes');
  const letter = (k: number) => String.fromCharCode(65 + (k % 26));
  return letter(Math.floor(index / 676)) + letter(Math.floor(index / 26)) + letter(index);
}

const pairKey = (restaurantId: string, currency: string) => `${restaurantId}|${currency}`;
const isoMinutesBefore = (minutes: number) => new Date(now.getTime() - minutes * MINUTE_MS).toISOString();

function newWorld(run: number): World {
  return {
    run,
    restaurants: Array.from({ length: RESTAURANTS }, (_, i) => `r${run}_${String.fromCharCode(97 + i)}`),
    currencies: Array.from({ length: CURRENCIES }, (_, i) => currencyCode(run * CURRENCIES + i)),
    delivered: [],
    touched: new Map(),
    eventsNet: new Map(),
  };
}

function pick<T>(items: readonly T[], index: number): T {
  const item = items[index % items.length];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

async function deliver(world: World, event: ProcessorEventInput): Promise<IngestResult> {
  const result = await ingestEvent(ctx, event, {});
  expect(result.idempotent, `first delivery of ${event.event_id}`).toBe(false);
  world.delivered.push({ event, result });
  world.touched.set(pairKey(event.restaurant_id, event.currency), { restaurant_id: event.restaurant_id, currency: event.currency });
  return result;
}

function addNet(world: World, restaurantId: string, currency: string, amount: number): void {
  const key = pairKey(restaurantId, currency);
  world.eventsNet.set(key, (world.eventsNet.get(key) ?? 0) + amount);
}

async function payoutsOf(world: World): Promise<Payout[]> {
  const payouts: Payout[] = [];
  for (const currency of world.currencies) {
    const page = await listPayouts(ctx, { currency, limit: 200 });
    expect(page.next_cursor).toBeNull();
    payouts.push(...page.items);
  }
  return payouts;
}

async function applyStep(world: World, step: Step, index: number): Promise<void> {
  const eventId = `e${world.run}_${index}`;
  switch (step.kind) {
    case 'charge': {
      const restaurantId = pick(world.restaurants, step.restaurant);
      const currency = pick(world.currencies, step.currency);
      const fee = Math.floor((step.amount * step.feePermille) / 1000);
      const event = chargeEvent({
        event_id: eventId,
        restaurant_id: restaurantId,
        currency,
        amount: step.amount,
        fee,
        occurred_at: isoMinutesBefore(step.ageMinutes),
        metadata: { step: index },
      });
      await deliver(world, event);
      addNet(world, restaurantId, currency, step.amount - fee);
      return;
    }
    case 'refund': {
      const restaurantId = pick(world.restaurants, step.restaurant);
      const currency = pick(world.currencies, step.currency);
      const event = refundEvent({
        event_id: eventId,
        restaurant_id: restaurantId,
        currency,
        amount: step.amount,
        fee: step.fee,
        occurred_at: isoMinutesBefore(step.ageMinutes),
        metadata: { step: index },
      });
      await deliver(world, event);
      addNet(world, restaurantId, currency, -step.amount - step.fee);
      return;
    }
    case 'replay': {
      if (world.delivered.length === 0) return;
      const original = pick(world.delivered, step.pick);
      const query = { restaurant_id: original.event.restaurant_id, currency: original.event.currency };
      const before = await getBalance(ctx, query);
      const replay = await ingestEvent(ctx, original.event, {});
      expect(replay.idempotent, `replay of ${original.event.event_id}`).toBe(true);
      expect(replay.entries).toEqual(original.result.entries);
      expect(await getBalance(ctx, query)).toEqual(before);
      return;
    }
    case 'advance': {
      now = new Date(now.getTime() + step.hours * HOUR_MS);
      return;
    }
    case 'payout_run': {
      const currency = pick(world.currencies, step.currency);
      const asOf = new Date(now.getTime() - step.daysBack * DAY_MS).toISOString().slice(0, 10);
      const before = new Set((await payoutsOf(world)).map((p) => p.payout_id));
      const requested = await requestPayoutRun(ctx, { currency, as_of: asOf, min_amount: step.minAmount });
      while ((await workNextPayoutRun(ctx, { owner: `property-${world.run}`, batchSize: 2 })) !== undefined) {}
      const run = await getPayoutRun(ctx, requested.run_id);
      expect(run.status).toBe('completed');
      const created = (await payoutsOf(world)).filter((p) => !before.has(p.payout_id));
      expect(created).toHaveLength(run.created);
      for (const payout of created) {
        expect(payout).toMatchObject({ currency, as_of: asOf, status: 'created', created_at: now.toISOString() });
        expect(payout.amount).toBeGreaterThanOrEqual(Math.max(step.minAmount, 1));
        expect(await getPayout(ctx, payout.payout_id)).toEqual(payout);
      }
      return;
    }
    case 'outcome': {
      const payouts = await payoutsOf(world);
      if (step.target === 'unknown_id' || payouts.length === 0) {
        const unknownId = String(900_000_000_000 + world.run * 1000 + index);
        const event = chargeEvent({
          event_id: eventId,
          event_type: step.type,
          restaurant_id: pick(world.restaurants, step.pick),
          currency: pick(world.currencies, step.pick),
          amount: step.delta,
          fee: 0,
          occurred_at: now.toISOString(),
          metadata: { payout_id: unknownId },
        });
        const result = await deliver(world, event);
        expect(result.payout).toEqual({ payout_id: unknownId, result: 'unknown_payout' });
        expect(result.entries).toEqual([]);
        return;
      }
      const payout = pick(payouts, step.pick);
      const createdMs = Date.parse(payout.created_at);
      const occurredAt = new Date(createdMs + Math.floor(((now.getTime() - createdMs) * step.whenPermille) / 1000)).toISOString();
      const amount = step.target === 'wrong_amount' ? payout.amount + step.delta : payout.amount;
      const event = chargeEvent({
        event_id: eventId,
        event_type: step.type,
        restaurant_id: payout.restaurant_id,
        currency: payout.currency,
        amount,
        fee: 0,
        occurred_at: occurredAt,
        metadata: { payout_id: payout.payout_id },
      });
      const result = await deliver(world, event);
      const open = payout.status === 'created' || payout.status === 'processing';
      const expected = step.target === 'wrong_amount' ? 'mismatch' : open ? 'applied' : 'already_final';
      expect(result.payout).toEqual({ payout_id: payout.payout_id, result: expected });
      if (expected === 'applied' && step.type === 'payout_failed') {
        expect(result.entries).toMatchObject([{ entry_type: 'payout_reversal', amount: payout.amount, available_at: occurredAt }]);
      } else {
        expect(result.entries).toEqual([]);
      }
      const after = await getPayout(ctx, payout.payout_id);
      const status = expected === 'applied' ? (step.type === 'payout_paid' ? 'paid' : 'failed') : payout.status;
      expect(after.status).toBe(status);
      return;
    }
  }
}

/** DOMAIN §7 invariants 2 and 5, checked for every restaurant and currency the run touched. */
async function checkInvariants(world: World, label: string): Promise<void> {
  const currencies = sql.join(world.currencies.map((c) => sql`${c}`));
  const nowIso = now.toISOString();

  // 3. Every payout's items sum to its amount.
  const payouts = await payoutsOf(world);
  for (const payout of payouts) {
    expect(payout.amount, `${label}: payout ${payout.payout_id} amount`).toBeGreaterThan(0);
    expect(payout.items.reduce((sum, item) => sum + item.amount, 0), `${label}: items of payout ${payout.payout_id}`).toBe(payout.amount);
  }

  // 1 and 2. The balance is the plain sum of the ledger; available is the sum of unsettled available entries.
  const { rows: sums } = await sql<{ restaurant_id: string; currency: string; total: Int8Value; unsettled_available: Int8Value }>`
    SELECT le.restaurant_id, le.currency, SUM(le.amount_minor) AS total,
      COALESCE(SUM(le.amount_minor) FILTER (
        WHERE le.available_at <= ${nowIso}::timestamptz
          AND NOT EXISTS (SELECT 1 FROM (${settlementLinks}) s WHERE s.ledger_entry_id = le.id)), 0) AS unsettled_available
    FROM ledger_entries le
    WHERE le.currency IN (${currencies})
    GROUP BY le.restaurant_id, le.currency`.execute(testDb.db);
  const byPair = new Map(sums.map((row) => [pairKey(row.restaurant_id, row.currency), row]));
  for (const [key, pair] of world.touched) {
    const balance = await getBalance(ctx, pair);
    const row = byPair.get(key);
    const total = row === undefined ? 0 : int8ToSafeInteger(row.total);
    const unsettledAvailable = row === undefined ? 0 : int8ToSafeInteger(row.unsettled_available);
    expect(balance.total, `${label}: total of ${key}`).toBe(total);
    expect(balance.available, `${label}: available of ${key} vs unsettled available entries`).toBe(unsettledAvailable);
    // And what the delivered events say, independently of the ledger: every payout not failed took its amount out.
    const paidOut = payouts
      .filter((p) => pairKey(p.restaurant_id, p.currency) === key && p.status !== 'failed')
      .reduce((sum, p) => sum + p.amount, 0);
    expect(balance.total, `${label}: total of ${key} vs the delivered events`).toBe((world.eventsNet.get(key) ?? 0) - paidOut);
  }

  // 4 and 5. Per payout: one payout entry, settled entries net to zero, only its own available entries
  // settled, and an amount within the balance available at its cutoff before its own entry was written.
  const { rows: perPayout } = await sql<{
    payout_id: Int8Value;
    amount_minor: Int8Value;
    payout_entries: number;
    settled_net: Int8Value;
    foreign_settlements: number;
    available_at_cutoff: Int8Value;
    after_a_later_cutoff: boolean;
  }>`
    SELECT p.id AS payout_id, p.amount_minor,
      (SELECT count(*)::int FROM ledger_entries pe WHERE pe.payout_id = p.id AND pe.entry_type = 'payout') AS payout_entries,
      (SELECT COALESCE(SUM(le.amount_minor), 0) FROM (${settlementLinks}) s JOIN ledger_entries le ON le.id = s.ledger_entry_id
        WHERE s.payout_id = p.id) AS settled_net,
      (SELECT count(*)::int FROM (${settlementLinks}) s JOIN ledger_entries le ON le.id = s.ledger_entry_id
        WHERE s.payout_id = p.id AND (le.restaurant_id <> p.restaurant_id OR le.currency <> p.currency
          OR (le.entry_type <> 'payout' AND (le.available_at > p.cutoff OR le.occurred_at > p.cutoff))
          OR (le.entry_type = 'payout' AND le.payout_id <> p.id))) AS foreign_settlements,
      (SELECT COALESCE(SUM(le.amount_minor), 0) FROM ledger_entries le
        WHERE le.restaurant_id = p.restaurant_id AND le.currency = p.currency
          AND le.available_at <= p.cutoff AND le.occurred_at <= p.cutoff
          AND le.id < (SELECT min(pe.id) FROM ledger_entries pe WHERE pe.payout_id = p.id AND pe.entry_type = 'payout')) AS available_at_cutoff,
      EXISTS (SELECT 1 FROM payouts q WHERE q.restaurant_id = p.restaurant_id AND q.currency = p.currency
        AND q.id < p.id AND q.cutoff > p.cutoff) AS after_a_later_cutoff
    FROM payouts p
    WHERE p.currency IN (${currencies})
    ORDER BY p.id`.execute(testDb.db);
  expect(perPayout).toHaveLength(payouts.length);
  for (const row of perPayout) {
    const id = String(row.payout_id);
    expect(row.payout_entries, `${label}: payout entries of payout ${id}`).toBe(1);
    expect(int8ToSafeInteger(row.settled_net), `${label}: settled entries of payout ${id}, its own entry included`).toBe(0);
    expect(row.foreign_settlements, `${label}: entries payout ${id} should not have settled`).toBe(0);
    expect(row.after_a_later_cutoff, `${label}: payout ${id} was made after a payout with a later cutoff`).toBe(false);
    expect(int8ToSafeInteger(row.amount_minor), `${label}: payout ${id} vs the balance available at its cutoff`).toBeLessThanOrEqual(
      int8ToSafeInteger(row.available_at_cutoff),
    );
  }

  // 5. No entry settled twice (the UNIQUE guarantees it; this proves nothing slipped past it).
  const { rows: twice } = await sql<{ ledger_entry_id: Int8Value }>`
    SELECT s.ledger_entry_id FROM (${settlementLinks}) s JOIN payouts p ON p.id = s.payout_id
    WHERE p.currency IN (${currencies})
    GROUP BY s.ledger_entry_id HAVING count(*) > 1`.execute(testDb.db);
  expect(twice, `${label}: entries settled twice`).toEqual([]);
}

describe('payouts under any interleaving of events, replays, runs and outcomes (DOMAIN §7, invariant 5)', () => {
  let run = 0;

  it(
    'keep the balance equal to the ledger, available equal to the unsettled available entries, and every payout within its cutoff balance',
    { timeout: 120_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25, size: 'max' }), async (steps) => {
          run += 1;
          now = new Date(START);
          const world = newWorld(run);
          for (const [index, step] of steps.entries()) {
            await applyStep(world, step, index);
            await checkInvariants(world, `after step ${index} (${step.kind})`);
          }
        }),
        { numRuns: 30 },
      );
    },
  );
});

describe('runs out of as_of order (found by the property above)', () => {
  // A run for an as_of earlier than a payout already made used to pay late (backdated) entries while
  // the balance at its cutoff still counted a refund the later payout had settled against a sale that
  // was pending at that cutoff: 500 paid against 200 available. Such restaurants are now skipped.
  it('skips a restaurant whose existing payout has a later cutoff, so no payout exceeds the balance at its cutoff', async () => {
    now = new Date(START);
    const world = newWorld(26 ** 3 / CURRENCIES - 1);
    const steps: Step[] = [
      { kind: 'charge', restaurant: 0, currency: 0, amount: 1000, feePermille: 0, ageMinutes: 8 * 24 * 60 }, // available 01-09
      { kind: 'refund', restaurant: 0, currency: 0, amount: 300, fee: 0, ageMinutes: 9 * 24 * 60 }, // available 01-01
      { kind: 'payout_run', currency: 0, daysBack: 0, minAmount: 0 }, // as_of 01-10: pays 700
      { kind: 'outcome', type: 'payout_paid', pick: 0, target: 'payout', delta: 1, whenPermille: 0 },
      { kind: 'charge', restaurant: 0, currency: 0, amount: 500, feePermille: 0, ageMinutes: 21 * 24 * 60 }, // late: available 12-27
      { kind: 'payout_run', currency: 0, daysBack: 3, minAmount: 0 }, // as_of 01-07: pays 500
    ];
    for (const [index, step] of steps.entries()) await applyStep(world, step, index);
    // Today the run pays 500 while the balance available at its cutoff is 200 (-300 refund + 500 late
    // charge; the 1000 sale is pending then, and the 01-10 payout entry comes after). Once fixed, either no
    // payout is made for 01-07 or it fits, this test passes, and it.fails reports it: flip it to it().
    // The restaurant already has a payout with a later cutoff: the 01-07 run skips it.
    expect((await payoutsOf(world)).find((p) => p.as_of === '2026-01-07')).toBeUndefined();
  });
});
