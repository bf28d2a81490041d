import { expect } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import { type ErrorCode, LedgerError } from '../../src/errors.ts';
import { DOMAIN_EXAMPLE_EVENT } from '../../src/events/example-event.ts';
import { type ProcessorEventInput, processorEventInputSchema } from '../../src/events/event.schema.ts';

export { DOMAIN_EXAMPLE_EVENT };

export function fixedClock(iso: string): Clock {
  const at = new Date(iso);
  return () => new Date(at);
}

/** The docs/ledger.md example charge, with overrides. Parsed by the real schema, so defaults apply. */
export function chargeEvent(overrides: Partial<Record<keyof ProcessorEventInput, unknown>> = {}): ProcessorEventInput {
  return processorEventInputSchema.parse({ ...DOMAIN_EXAMPLE_EVENT, ...overrides });
}

/** Awaits a call that must fail with a LedgerError of this code, and returns the error. */
export async function expectLedgerError(promise: Promise<unknown>, code: ErrorCode): Promise<LedgerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LedgerError);
  expect((error as LedgerError).code).toBe(code);
  return error as LedgerError;
}

export function refundEvent(overrides: Partial<Record<keyof ProcessorEventInput, unknown>> = {}): ProcessorEventInput {
  return chargeEvent({ event_id: 'evt_refund_0001', event_type: 'refund_succeeded', amount: 5000, fee: 0, ...overrides });
}
