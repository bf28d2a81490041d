import fc from 'fast-check';

/**
 * An independent model of what the ledger must hold, written from docs/ledger.md (events, balances) and sharing no
 * code with packages/core: if both were wrong the same way the tests could not tell.
 */
export interface ModelEvent {
  event_id: string;
  event_type: 'charge_succeeded' | 'refund_succeeded';
  occurred_at: string;
  restaurant_id: string;
  currency: string;
  amount: number;
  fee: number;
  metadata: Record<string, string>;
}

export interface ModelEntry {
  event_id: string;
  entry_type: 'sale' | 'fee' | 'refund';
  amount: number;
  occurred_at: string;
  available_at: string;
}

export interface ModelBalance {
  available: number;
  pending: number;
  total: number;
  last_event_at: string | null;
}

export interface StatementLine extends ModelEntry {
  running_balance: number;
}

const DAY_MS = 86_400_000;
/** The server's default maturity window (LEDGER_MATURITY_DAYS), which every test restaurant gets. */
export const MATURITY_DAYS = 7;

export interface EventStreamOptions {
  /** event_ids are `${prefix}_${index}`. */
  prefix: string;
  count: number;
  restaurants: readonly string[];
  currencies: readonly string[];
  /** The first event occurs at `from`; each later one `stepMs` after the one before. */
  from: Date;
  stepMs: number;
  seed: number;
}

/**
 * A reproducible stream of charges and refunds, in occurred_at order, every occurred_at distinct
 * (so "in order" is one order). Roughly one refund in four; fees up to 10 % of the amount.
 */
export function eventStream(options: EventStreamOptions): ModelEvent[] {
  const shape = fc.record({
    restaurant: fc.constantFrom(...options.restaurants),
    currency: fc.constantFrom(...options.currencies),
    refund: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    amount: fc.integer({ min: 100, max: 500_000 }),
    feePercent: fc.integer({ min: 0, max: 10 }),
  });
  const [shapes] = fc.sample(fc.array(shape, { minLength: options.count, maxLength: options.count }), { seed: options.seed, numRuns: 1 });
  return (shapes ?? []).map((s, index) => ({
    event_id: `${options.prefix}_${String(index).padStart(5, '0')}`,
    event_type: s.refund ? 'refund_succeeded' : 'charge_succeeded',
    occurred_at: new Date(options.from.getTime() + index * options.stepMs).toISOString(),
    restaurant_id: s.restaurant,
    currency: s.currency,
    amount: s.amount,
    fee: Math.floor((s.amount * s.feePercent) / 100),
    metadata: { source: 'fault-suite', index: String(index) },
  }));
}

/** The same items in a reproducible random order. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const [order] = fc.sample(fc.shuffledSubarray([...items.keys()], { minLength: items.length, maxLength: items.length }), { seed, numRuns: 1 });
  return (order ?? []).map((index) => items[index] as T);
}

/** The entries docs/ledger.md says an event writes, in the order it writes them. */
export function entriesOf(event: ModelEvent): ModelEntry[] {
  const occurred = Date.parse(event.occurred_at);
  const availableAt = new Date(event.event_type === 'charge_succeeded' ? occurred + MATURITY_DAYS * DAY_MS : occurred).toISOString();
  const entry = (entry_type: ModelEntry['entry_type'], amount: number): ModelEntry => ({
    event_id: event.event_id,
    entry_type,
    amount,
    occurred_at: new Date(occurred).toISOString(),
    available_at: availableAt,
  });
  const main = event.event_type === 'charge_succeeded' ? entry('sale', event.amount) : entry('refund', -event.amount);
  return event.fee > 0 ? [main, entry('fee', -event.fee)] : [main];
}

/** docs/ledger.md, Balances: entries whose event occurred by `asOf` count; of those, available once available_at <= asOf. */
export function balanceAt(events: readonly ModelEvent[], restaurantId: string, currency: string, asOf: Date): ModelBalance {
  const balance: ModelBalance = { available: 0, pending: 0, total: 0, last_event_at: null };
  for (const entry of ledgerOf(events, restaurantId, currency)) {
    if (Date.parse(entry.occurred_at) > asOf.getTime()) continue;
    if (Date.parse(entry.available_at) <= asOf.getTime()) balance.available += entry.amount;
    else balance.pending += entry.amount;
    balance.total += entry.amount;
    if (balance.last_event_at === null || entry.occurred_at > balance.last_event_at) balance.last_event_at = entry.occurred_at;
  }
  return balance;
}

/** Every entry of one restaurant and currency in occurred_at order, with the running balance from the first. */
export function statementOf(events: readonly ModelEvent[], restaurantId: string, currency: string): StatementLine[] {
  let running = 0;
  return ledgerOf(events, restaurantId, currency).map((entry) => ({ ...entry, running_balance: (running += entry.amount) }));
}

/** The (restaurant, currency) pairs the events touch, sorted. */
export function pairsOf(events: readonly ModelEvent[]): Array<{ restaurant_id: string; currency: string }> {
  const keys = [...new Set(events.map((e) => `${e.restaurant_id} ${e.currency}`))].sort();
  return keys.map((key) => {
    const [restaurant_id = '', currency = ''] = key.split(' ');
    return { restaurant_id, currency };
  });
}

function ledgerOf(events: readonly ModelEvent[], restaurantId: string, currency: string): ModelEntry[] {
  return events
    .filter((e) => e.restaurant_id === restaurantId && e.currency === currency)
    .sort((a, b) => Date.parse(a.occurred_at) - Date.parse(b.occurred_at))
    .flatMap(entriesOf);
}
