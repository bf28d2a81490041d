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

/**
 * New charges with the same content as the raw scripts' (12,000 PEN, fee 600, two metadata
 * fields), each with an event_id never sent before in this run: `${prefix}_${n}`.
 */
export function chargeSequence(prefix: string): () => Charge {
  let sequence = 0;
  return () => {
    sequence += 1;
    return {
      event_id: `${prefix}_${sequence}`,
      event_type: 'charge_succeeded',
      occurred_at: '2025-12-20T15:10:00Z',
      restaurant_id: `res_http_${(sequence % HTTP_RESTAURANTS) + 1}`,
      currency: 'PEN',
      amount: 12_000,
      fee: 600,
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
