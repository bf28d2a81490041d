import type { Clock } from '../../src/clock.ts';
import { type ProcessorEventInput, processorEventInputSchema } from '../../src/events/event.schema.ts';

export function fixedClock(iso: string): Clock {
  const at = new Date(iso);
  return () => new Date(at);
}

/** The DOMAIN.md example charge, with overrides. Parsed by the real schema, so defaults apply. */
export function chargeEvent(overrides: Partial<Record<keyof ProcessorEventInput, unknown>> = {}): ProcessorEventInput {
  return processorEventInputSchema.parse({
    event_id: 'evt_0001',
    event_type: 'charge_succeeded',
    occurred_at: '2025-12-20T15:10:00Z',
    restaurant_id: 'res_001',
    currency: 'PEN',
    amount: 12000,
    fee: 600,
    metadata: { reservation_id: 'rsv_987', payment_id: 'pay_456' },
    ...overrides,
  });
}

export function refundEvent(overrides: Partial<Record<keyof ProcessorEventInput, unknown>> = {}): ProcessorEventInput {
  return chargeEvent({ event_id: 'evt_refund_0001', event_type: 'refund_succeeded', amount: 5000, fee: 0, ...overrides });
}
