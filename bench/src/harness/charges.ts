/** Restaurants the HTTP figures write to, res_http_1 … res_http_50, as the raw scripts write to 50. */
const HTTP_RESTAURANTS = 50;

export interface Charge {
  event_id: string;
  event_type: 'charge_succeeded';
  occurred_at: string;
  restaurant_id: string;
  currency: string;
  amount: number;
  fee: number;
  metadata: { reservation_id: string; payment_id: string };
}

/** What every benchmark charge carries, HTTP and raw alike, besides its ids and metadata. */
export const CHARGE = {
  event_type: 'charge_succeeded',
  occurred_at: '2025-12-20T15:10:00Z',
  currency: 'PEN',
  amount: 12_000,
  fee: 600,
} as const;
/** The server's default maturity window (LEDGER_MATURITY_DAYS), which the raw restaurants have too. */
export const MATURITY_DAYS = 7;

/**
 * The constants the raw ingestion scripts take with pgbench -D, as the service binds them for a
 * charge (recordPlannedEvents): the event's constant fields, each on its own (one event's
 * parameters) and as a piece of its JSON document (`charge_fields`), the planned entries document of one charge (`planned`: sale +amount and fee
 * -fee, both after the maturity window, as plannedJson writes them; `planned_one`, the same two
 * entries without the brackets, for the batch script to renumber), and the maturity window. JSON
 * with a colon before a digit or a letter cannot be written in a script (pgbench would read
 * `:0` as a variable), so it comes from here, with a space after each such colon.
 */
export function chargeScriptVariables(): Record<string, string | number> {
  const entry = (position: number, type: string, amount: number): string =>
    `{"ordinal": 0, "position": ${position}, "entry_type": "${type}", "amount_minor": ${amount}, "available": "after_maturity_window", "reserve_share": false}`;
  const plannedOne = `${entry(0, 'sale', CHARGE.amount)},${entry(1, 'fee', -CHARGE.fee)}`;
  return {
    charge_fields: JSON.stringify({ event_type: CHARGE.event_type, currency: CHARGE.currency, amount: CHARGE.amount, fee: CHARGE.fee, occurred_at: CHARGE.occurred_at }).slice(1, -1),
    event_type: CHARGE.event_type,
    currency: CHARGE.currency,
    amount: CHARGE.amount,
    fee: CHARGE.fee,
    occurred_at: CHARGE.occurred_at,
    planned: `[${plannedOne}]`,
    planned_one: plannedOne,
    maturity_days: MATURITY_DAYS,
  };
}

/**
 * New charges with the same content as the raw scripts' (CHARGE, two metadata fields), each with
 * an event_id never sent before in this run: `${prefix}_${n}`.
 */
export function chargeSequence(prefix: string): () => Charge {
  let sequence = 0;
  return () => {
    sequence += 1;
    return {
      event_id: `${prefix}_${sequence}`,
      event_type: CHARGE.event_type,
      occurred_at: CHARGE.occurred_at,
      restaurant_id: `res_http_${(sequence % HTTP_RESTAURANTS) + 1}`,
      currency: CHARGE.currency,
      amount: CHARGE.amount,
      fee: CHARGE.fee,
      metadata: { reservation_id: `rsv_${sequence}`, payment_id: `pay_${sequence}` },
    };
  };
}

/** The bodies of `known`, again and again in order: every request a replay of a stored event. */
export function replayBodies(known: readonly string[]): () => string {
  if (known.length === 0) throw new Error('no stored events to replay');
  let next = 0;
  return () => {
    const body = known[next % known.length] as string;
    next += 1;
    return body;
  };
}
