import { Webhook } from 'standardwebhooks';
import { type BackgroundLoop, startBackgroundLoop } from '../background/background-loop.ts';
import { getBalance } from '../balances/balance.service.ts';
import { int8ToBigInt, int8ToSafeInteger, type Int8Value } from '../db/int8.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import type { LedgerContext } from '../ledger-context.ts';
import { OUTBOUND_DELIVERY_BATCH, OUTBOUND_LEASE_MARGIN_MS, OUTBOUND_POLL_INTERVAL_MS_DEFAULT, OUTBOUND_PROJECT_BATCH } from '../limits.ts';
import { type ClaimedDelivery, claimDueDeliveries, recordAttempt } from './outbound.repository.ts';
import {
  balanceLoweringEvents,
  insertBelowZeroEvent,
  lockProjectorState,
  noTransactionOlderThan,
  PROJECTOR_SOURCES,
  type ProjectorSource,
  projectSource,
  readCandidate,
  saveProjectorState,
} from './outbound-projector.repository.ts';
import { sendEvent } from './outbound-sender.ts';
import { outboundSettings, retryDelayMs } from './outbound-settings.ts';

/** What one projector pass wrote. */
export interface Projection {
  events: number;
  deliveries: number;
  /** A source had more rows than one pass reads: project again at once. */
  more: boolean;
}

/**
 * Derives outbound events from the durable ledger: for each source table, the rows after its
 * watermark become events (once each, by source key) and deliveries, in one transaction with the
 * watermark's move. The watermark only passes ids that no running transaction can still commit
 * (docs/adr/0010-outbound-events.md), so a row that commits late is projected by a later pass.
 */
export async function projectOutboundEvents(ctx: LedgerContext): Promise<Projection> {
  const total: Projection = { events: 0, deliveries: 0, more: false };
  for (const source of PROJECTOR_SOURCES) {
    const one = await inTransaction(ctx.db, (trx) => projectOneSource({ ...ctx, db: trx }, trx, source));
    total.events += one.events;
    total.deliveries += one.deliveries;
    total.more ||= one.more;
  }
  return total;
}

async function projectOneSource(ctx: LedgerContext, trx: Parameters<typeof lockProjectorState>[0], source: ProjectorSource): Promise<Projection> {
  const state = await lockProjectorState(trx, source);
  if (state === undefined) return { events: 0, deliveries: 0, more: false };
  const { maxAttempts } = outboundSettings(ctx);
  let safe = int8ToBigInt(state.watermark);
  let candidate = state.candidate;
  if (candidate !== null && state.candidate_at !== null && (await noTransactionOlderThan(trx, state.candidate_at))) {
    if (int8ToBigInt(candidate) > safe) safe = int8ToBigInt(candidate);
    candidate = null;
  }
  const batch = await projectSource(trx, source, state.watermark, OUTBOUND_PROJECT_BATCH, maxAttempts);
  const truncated = batch.scanned >= OUTBOUND_PROJECT_BATCH && batch.last_id !== null;
  const through = truncated ? int8ToBigInt(batch.last_id as Int8Value) : undefined;
  let events = batch.events;
  if (source === 'processor_events') events += await projectBelowZero(ctx, trx, state.watermark, through);
  const watermark = through !== undefined && through < safe ? through : safe;
  const next = candidate === null ? await readCandidate(trx, source) : { candidate, at: state.candidate_at };
  await saveProjectorState(trx, source, { watermark, candidate: next.candidate, candidateAt: next.at });
  return { events, deliveries: batch.deliveries, more: truncated };
}

/**
 * balance.below_zero: a refund or dispute opening that took the available balance from zero or more
 * to below zero: the balance as of the event's occurred_at (with it) is negative, and without its
 * entries it was not. One per such event; the same answer however often it is projected, unless an
 * event dated earlier arrives in between.
 */
async function projectBelowZero(ctx: LedgerContext, trx: Parameters<typeof lockProjectorState>[0], after: Int8Value, through: bigint | undefined): Promise<number> {
  const lowering = await balanceLoweringEvents(trx, after, through ?? BigInt(Number.MAX_SAFE_INTEGER));
  let written = 0;
  for (const event of lowering) {
    const balance = await getBalance(ctx, { restaurant_id: event.restaurant_id, currency: event.currency, as_of: event.occurred_at });
    const delta = int8ToSafeInteger(event.delta);
    if (balance.available >= 0 || balance.available - delta < 0) continue;
    await insertBelowZeroEvent(
      trx,
      {
        eventPk: event.id,
        occurredAt: event.occurred_at,
        payload: {
          restaurant_id: event.restaurant_id,
          currency: event.currency,
          available: balance.available,
          deficit: -balance.available,
          processor_event_id: event.event_id,
          processor_event_type: event.event_type,
          as_of: event.occurred_at.toISOString(),
        },
      },
      outboundSettings(ctx).maxAttempts,
    );
    written += 1;
  }
  return written;
}

/** The body every attempt of a delivery sends: the Standard Webhooks payload shape. */
export function deliveryBody(delivery: Pick<ClaimedDelivery, 'event_type' | 'event_created_at' | 'payload'>): string {
  return JSON.stringify({ type: delivery.event_type, timestamp: delivery.event_created_at.toISOString(), data: delivery.payload });
}

/**
 * Claims due deliveries and sends each once, concurrently; each attempt is logged and the delivery
 * moved on (delivered, retried later with backoff, or failed). Returns how many were claimed.
 */
export async function deliverDueEvents(ctx: LedgerContext, owner: string, signal: AbortSignal): Promise<number> {
  const settings = outboundSettings(ctx);
  const claimed = await claimDueDeliveries(ctx.db, owner, settings.timeoutMs + OUTBOUND_LEASE_MARGIN_MS, OUTBOUND_DELIVERY_BATCH);
  await Promise.all(
    claimed.map(async (delivery) => {
      const startedAt = new Date();
      const body = deliveryBody(delivery);
      const signature = new Webhook(delivery.secret).sign(delivery.webhook_id, startedAt, body);
      const result = await sendEvent({
        url: delivery.url,
        headers: {
          'webhook-id': delivery.webhook_id,
          'webhook-timestamp': String(Math.floor(startedAt.getTime() / 1000)),
          'webhook-signature': signature,
          'user-agent': 'restaurant-ledger-outbound/1',
        },
        body,
        timeoutMs: settings.timeoutMs,
        allowedHosts: settings.allowedHosts,
        signal,
      });
      await recordAttempt(ctx.db, {
        deliveryId: delivery.id,
        attempt: delivery.attempts,
        owner,
        startedAt,
        durationMs: result.durationMs,
        outcome: result.outcome,
        statusCode: result.statusCode,
        error: result.error,
        responseExcerpt: result.responseExcerpt,
        retryDelayMs: retryDelayMs(delivery.attempts, settings),
      });
    }),
  );
  return claimed.length;
}

export interface OutboundDeliverer {
  /** Project and deliver now (e.g. after a replay). */
  wake(): void;
  /** Interrupts the attempts in flight (logged `interrupted`, due again at once) and stops. */
  stop(): Promise<void>;
}

/**
 * The background side of outbound events, one instance of the service's background loop: each pass
 * projects new events, then sends a batch of due deliveries. Any number of deliverers (cluster
 * workers, servers) can run side by side: the projector locks each source's state row (SKIP
 * LOCKED), deliveries are claimed with FOR UPDATE SKIP LOCKED and a lease.
 */
export function startOutboundDeliverer(
  ctx: LedgerContext,
  options: { owner: string; pollIntervalMs?: number; onError?: (error: unknown) => void; onProjected?: (projection: Projection) => void },
): OutboundDeliverer {
  const interrupt = new AbortController();
  const loop: BackgroundLoop = startBackgroundLoop({
    intervalMs: options.pollIntervalMs ?? OUTBOUND_POLL_INTERVAL_MS_DEFAULT,
    pass: async ({ shouldStop }) => {
      const projection = await projectOutboundEvents(ctx);
      if (projection.events > 0) options.onProjected?.(projection);
      if (shouldStop()) return 'idle';
      const sent = await deliverDueEvents(ctx, options.owner, interrupt.signal);
      return projection.more || sent >= OUTBOUND_DELIVERY_BATCH ? 'more' : 'idle';
    },
    ...(options.onError !== undefined && { onError: options.onError }),
  });
  return {
    wake: loop.wake,
    stop: async () => {
      interrupt.abort();
      await loop.stop();
    },
  };
}
