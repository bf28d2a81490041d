import { createPrng, type Prng } from './prng.ts';

/** An event in our wire format (docs/ledger.md), keys in the order they are written. */
export interface SampleEvent {
  event_id: string;
  event_type: 'charge_succeeded' | 'refund_succeeded' | 'payout_paid' | 'payout_failed';
  occurred_at: string;
  restaurant_id: string;
  currency: string;
  amount: number;
  fee?: number;
  metadata: Record<string, string>;
}

export interface GeneratedEvents {
  /** One JSON object per entry, in delivery order; duplicates are the same string repeated. */
  lines: string[];
  stats: GeneratedStats;
}

export interface GeneratedStats {
  lines: number;
  distinctEvents: number;
  charges: number;
  refunds: number;
  payoutEvents: number;
  /** Lines that repeat an earlier line exactly. */
  duplicateLines: number;
  /** First deliveries whose occurred_at is older than that of some earlier line. */
  lateLines: number;
  restaurants: number;
  currencies: string[];
}

const SAMPLE_CHARGES = 330;
const SAMPLE_REFUNDS = 30;
const SAMPLE_PAYOUT_EVENTS = 6;
const SAMPLE_DUPLICATE_LINES = 30;
const SAMPLE_LATE_DELIVERIES = 20;
/** How many lines later a late event is delivered than its place in time. */
const LATE_SHIFT_LINES_MIN = 5;
const LATE_SHIFT_LINES_MAX = 60;
/** How many lines after the original a duplicate delivery lands, at most. */
const DUPLICATE_DISTANCE_LINES_MAX = 120;

/** Entirely in the past, so the server (which refuses occurred_at ahead of its clock) takes all of it. */
const PERIOD_START_MS = Date.parse('2025-11-01T00:00:00Z');
const PERIOD_END_MS = Date.parse('2026-01-01T00:00:00Z');
/** Payout outcomes arrive at the end of the period, after the sales they would have paid. */
const PAYOUT_EVENTS_START_MS = Date.parse('2025-12-20T00:00:00Z');
const HOUR_S = 3_600;
/** A refund comes between an hour and ten days after its charge. */
const REFUND_DELAY_S_MAX = 10 * 24 * HOUR_S;
const BASIS_POINTS = 10_000;

/** Typical ticket sizes in minor units: a few soles or dollars up to a large table. */
const CHARGE_AMOUNT_MINOR: Record<string, { min: number; max: number }> = {
  PEN: { min: 1_500, max: 45_000 },
  USD: { min: 800, max: 20_000 },
  MXN: { min: 15_000, max: 400_000 },
};

const SAMPLE_RESTAURANTS = [
  { id: 'res_lima_cevicheria', currencies: ['PEN'], feeBps: 350 },
  { id: 'res_miraflores_polleria', currencies: ['PEN', 'USD'], feeBps: 320 },
  { id: 'res_cusco_picanteria', currencies: ['PEN', 'USD'], feeBps: 390 },
  { id: 'res_cdmx_taqueria', currencies: ['MXN'], feeBps: 360 },
  { id: 'res_oaxaca_mezcaleria', currencies: ['MXN', 'USD'], feeBps: 340 },
  { id: 'res_miami_parrilla', currencies: ['USD'], feeBps: 290 },
  { id: 'res_andes_grill_chain', currencies: ['PEN', 'USD', 'MXN'], feeBps: 310 },
] as const;

const REFUND_REASONS = ['customer_request', 'duplicate_charge', 'service_issue', 'no_show_waived'] as const;

/**
 * The sample stream for `seed`: charges with fees, refunds of earlier charges, payout outcomes for
 * payouts that do not exist, exact duplicate deliveries and late deliveries. Deterministic: the
 * same seed always gives the same lines, byte for byte.
 */
export function generateEvents(seed: number): GeneratedEvents {
  const prng = createPrng(seed);
  const charges = makeCharges(prng, seed);
  const refunds = makeRefunds(prng, seed, charges);
  const payouts = makePayoutEvents(prng, seed);
  const inTimeOrder = [...charges, ...refunds, ...payouts].sort(byOccurredAt);
  const delivered = deliverSomeLate(prng, inTimeOrder);
  const lines = repeatSomeLines(prng, delivered.map(serialize));
  return { lines, stats: measure(lines) };
}

/** The file's text: one event per line, newline-terminated. */
export function renderEventsFile(generated: GeneratedEvents): string {
  return `${generated.lines.join('\n')}\n`;
}

function makeCharges(prng: Prng, seed: number): SampleEvent[] {
  const times = Array.from({ length: SAMPLE_CHARGES }, () => randomInstantMs(prng, PERIOD_START_MS, PERIOD_END_MS));
  times.sort((a, b) => a - b);
  // Ids follow time order, as in numberInTimeOrder.
  return times.map((occurredMs, index) => {
    const serial = String(index + 1).padStart(4, '0');
    const restaurant = prng.pick(SAMPLE_RESTAURANTS);
    const currency = prng.pick(restaurant.currencies);
    const range = CHARGE_AMOUNT_MINOR[currency];
    if (range === undefined) throw new Error(`no amount range for ${currency}`);
    const amount = prng.int(range.min, range.max);
    const fee = Math.ceil((amount * restaurant.feeBps) / BASIS_POINTS);
    assertWireRule(fee <= amount, `charge fee ${fee} exceeds amount ${amount}`);
    return {
      event_id: `evt_${seed}_ch_${serial}`,
      event_type: 'charge_succeeded',
      occurred_at: isoSeconds(occurredMs),
      restaurant_id: restaurant.id,
      currency,
      amount,
      fee,
      metadata: { reservation_id: `rsv_${seed}_${serial}`, payment_id: `pay_${seed}_${serial}` },
    };
  });
}

/** Refunds of distinct earlier charges, full or partial, with the charge's reservation and payment. */
function makeRefunds(prng: Prng, seed: number, charges: readonly SampleEvent[]): SampleEvent[] {
  const refunds = pickDistinct(prng, charges, SAMPLE_REFUNDS).map((charge): Omit<SampleEvent, 'event_id'> => {
    const delayMs = prng.int(HOUR_S, REFUND_DELAY_S_MAX) * 1_000;
    const occurredMs = Math.min(Date.parse(charge.occurred_at) + delayMs, PERIOD_END_MS - 1_000);
    const amount = prng.chance(0.5) ? charge.amount : prng.int(Math.ceil(charge.amount / 10), charge.amount - 1);
    // Some processors charge for handling a refund; the ledger books that as one more fee.
    const fee = prng.chance(0.2) ? Math.ceil(amount / 100) : 0;
    return {
      event_type: 'refund_succeeded',
      occurred_at: isoSeconds(occurredMs),
      restaurant_id: charge.restaurant_id,
      currency: charge.currency,
      amount,
      fee,
      metadata: { ...charge.metadata, refund_reason: prng.pick(REFUND_REASONS) },
    };
  });
  return numberInTimeOrder(refunds, (serial) => `evt_${seed}_rf_${serial}`);
}

/**
 * payout_paid / payout_failed naming payouts that do not exist. Payout ids are decimal strings, so
 * `po_sample_…` can never name a real payout: the ledger stores these events and changes nothing.
 */
function makePayoutEvents(prng: Prng, seed: number): SampleEvent[] {
  const payouts = Array.from({ length: SAMPLE_PAYOUT_EVENTS }, (_, index): Omit<SampleEvent, 'event_id'> => {
    const restaurant = prng.pick(SAMPLE_RESTAURANTS);
    return {
      event_type: index % 3 === 2 ? 'payout_failed' : 'payout_paid',
      occurred_at: isoSeconds(randomInstantMs(prng, PAYOUT_EVENTS_START_MS, PERIOD_END_MS)),
      restaurant_id: restaurant.id,
      currency: prng.pick(restaurant.currencies),
      amount: prng.int(50_000, 500_000),
      metadata: {},
    };
  });
  return numberInTimeOrder(payouts, (serial) => `evt_${seed}_po_${serial}`).map((event, index) => ({
    ...event,
    metadata: { payout_id: `po_sample_${seed}_${String(index + 1).padStart(4, '0')}` },
  }));
}

/** Ids follow time order, so a late delivery is visible to a reader of the file by its id too. */
function numberInTimeOrder(drafts: readonly Omit<SampleEvent, 'event_id'>[], idFor: (serial: string) => string): SampleEvent[] {
  const inOrder = [...drafts].sort((a, b) => compareCodeUnits(a.occurred_at, b.occurred_at));
  return inOrder.map((draft, index) => ({ event_id: idFor(String(index + 1).padStart(4, '0')), ...draft }));
}

/** Moves some events later in the file than their occurred_at says, as a retrying processor does. */
function deliverSomeLate(prng: Prng, events: readonly SampleEvent[]): SampleEvent[] {
  const delivered = [...events];
  for (let moved = 0; moved < SAMPLE_LATE_DELIVERIES; moved += 1) {
    const from = prng.int(0, delivered.length - 1 - LATE_SHIFT_LINES_MAX);
    const [event] = delivered.splice(from, 1);
    if (event === undefined) throw new Error('late delivery index out of range');
    delivered.splice(from + prng.int(LATE_SHIFT_LINES_MIN, LATE_SHIFT_LINES_MAX), 0, event);
  }
  return delivered;
}

/** Repeats some lines exactly, a little later, as at-least-once webhook delivery does. */
function repeatSomeLines(prng: Prng, lines: readonly string[]): string[] {
  const repeated = [...lines];
  for (let added = 0; added < SAMPLE_DUPLICATE_LINES; added += 1) {
    const from = prng.int(0, repeated.length - 2);
    const line = repeated[from];
    if (line === undefined) throw new Error('duplicate index out of range');
    const to = Math.min(from + prng.int(1, DUPLICATE_DISTANCE_LINES_MAX), repeated.length);
    repeated.splice(to, 0, line);
  }
  return repeated;
}

/** Stats read back from the lines themselves, so they describe the file, not the plan. */
function measure(lines: readonly string[]): GeneratedStats {
  const events = lines.map((line) => JSON.parse(line) as SampleEvent);
  const distinct = new Map(events.map((event) => [event.event_id, event]));
  const count = (type: SampleEvent['event_type']) => [...distinct.values()].filter((e) => e.event_type === type).length;
  // Late: a first delivery that arrives after an event that occurred later. Repeats are not
  // counted again here; they are the duplicate lines.
  const seen = new Set<string>();
  let latestMs = Number.NEGATIVE_INFINITY;
  let lateLines = 0;
  for (const event of events) {
    if (seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    const occurredMs = Date.parse(event.occurred_at);
    if (occurredMs < latestMs) lateLines += 1;
    latestMs = Math.max(latestMs, occurredMs);
  }
  return {
    lines: lines.length,
    distinctEvents: distinct.size,
    charges: count('charge_succeeded'),
    refunds: count('refund_succeeded'),
    payoutEvents: count('payout_paid') + count('payout_failed'),
    duplicateLines: lines.length - new Set(lines).size,
    lateLines,
    restaurants: new Set(events.map((e) => e.restaurant_id)).size,
    currencies: [...new Set(events.map((e) => e.currency))].sort(),
  };
}

function serialize(event: SampleEvent): string {
  return JSON.stringify(event);
}

function byOccurredAt(a: SampleEvent, b: SampleEvent): number {
  // The event_id breaks ties, so the order never depends on the sort algorithm. Plain code-unit
  // comparison rather than localeCompare: the bytes must not depend on the machine's locale.
  return compareCodeUnits(a.occurred_at, b.occurred_at) || compareCodeUnits(a.event_id, b.event_id);
}

function compareCodeUnits(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function pickDistinct<T>(prng: Prng, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    const [item] = pool.splice(prng.int(0, pool.length - 1), 1);
    if (item !== undefined) picked.push(item);
  }
  return picked;
}

function randomInstantMs(prng: Prng, startMs: number, endMs: number): number {
  // Whole seconds: processors send second precision, and it keeps the file readable.
  return startMs + prng.int(0, Math.floor((endMs - startMs) / 1_000) - 1) * 1_000;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function assertWireRule(ok: boolean, message: string): void {
  if (!ok) throw new Error(`generator bug: ${message}`);
}
