import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { keysetPage } from '../cursor.ts';
import { int8ToId } from '../db/int8.ts';
import { inTransaction } from '../db/unit-of-work.ts';
import { LedgerError } from '../errors.ts';
import type { LedgerContext } from '../ledger-context.ts';
import {
  type AttemptRow,
  type DeliveryRow,
  disableSubscriptionRow,
  findAttempts,
  findDelivery,
  findDeliveryPage,
  findSubscription,
  findSubscriptionPage,
  insertSubscription,
  replayDeliveryRow,
  setSubscriptionSecret,
  type SubscriptionRow,
} from './outbound.repository.ts';
import type {
  AttemptOutcome,
  CreateSubscriptionInput,
  Delivery,
  DeliveryPage,
  DeliveryStatus,
  ListDeliveriesInput,
  ListSubscriptionsInput,
  OutboundEventType,
  ReplayDeliveryInput,
  Subscription,
  SubscriptionPage,
  SubscriptionWithSecret,
} from './outbound.schema.ts';
import { outboundSettings } from './outbound-settings.ts';
import { refusedUrlReason } from './outbound-url.ts';

/** 32 random bytes, as Standard Webhooks secrets are written. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Creates a subscription. The secret (given or generated) is in this answer and nowhere else.
 * @throws LedgerError SUBSCRIPTION_URL_NOT_ALLOWED
 */
export async function createSubscription(ctx: LedgerContext, input: CreateSubscriptionInput): Promise<SubscriptionWithSecret> {
  const reason = refusedUrlReason(input.url, outboundSettings(ctx).allowedHosts);
  if (reason !== undefined) {
    throw new LedgerError('SUBSCRIPTION_URL_NOT_ALLOWED', `url: ${reason}`, { field: 'url', reason });
  }
  const secret = input.secret ?? newSecret();
  const row = await insertSubscription(ctx.db, {
    url: new URL(input.url).toString(),
    secret,
    eventTypes: input.event_types ?? [],
    description: input.description ?? null,
  });
  return { ...toSubscription(row), secret };
}

/** @throws LedgerError SUBSCRIPTION_NOT_FOUND */
export async function getSubscription(ctx: LedgerContext, subscriptionId: string): Promise<Subscription> {
  return toSubscription(await existing(await findSubscription(ctx.db, subscriptionId), subscriptionId));
}

/** @throws LedgerError CURSOR_INVALID */
export async function listSubscriptions(ctx: LedgerContext, input: ListSubscriptionsInput): Promise<SubscriptionPage> {
  const { rows, next_cursor } = await keysetPage(
    { kind: 'subscriptions', filters: {}, cursor: input.cursor, limit: input.limit },
    idPositionSchema,
    (after) => findSubscriptionPage(ctx.db, after?.id, input.limit),
    (row) => ({ id: int8ToId(row.id) }),
  );
  return { items: rows.map(toSubscription), next_cursor };
}

/**
 * Disables a subscription for good: no new deliveries, and its pending ones are cancelled. Again on
 * a disabled one: the same answer.
 * @throws LedgerError SUBSCRIPTION_NOT_FOUND
 */
export async function disableSubscription(ctx: LedgerContext, subscriptionId: string): Promise<Subscription> {
  const row = await inTransaction(ctx.db, (trx) => disableSubscriptionRow(trx, subscriptionId));
  return toSubscription(await existing(row, subscriptionId));
}

/**
 * A new generated secret; every attempt from now on (retries of older deliveries too) is signed with it.
 * @throws LedgerError SUBSCRIPTION_NOT_FOUND, SUBSCRIPTION_DISABLED
 */
export async function rotateSubscriptionSecret(ctx: LedgerContext, subscriptionId: string): Promise<SubscriptionWithSecret> {
  await activeSubscription(ctx, subscriptionId);
  const secret = newSecret();
  const row = await existing(await setSubscriptionSecret(ctx.db, subscriptionId, secret), subscriptionId);
  return { ...toSubscription(row), secret };
}

/**
 * The delivery log of a subscription: its deliveries by id, each with its attempts.
 * @throws LedgerError SUBSCRIPTION_NOT_FOUND, CURSOR_INVALID
 */
export async function listDeliveries(ctx: LedgerContext, input: ListDeliveriesInput): Promise<DeliveryPage> {
  await getSubscription(ctx, input.subscription_id);
  const { rows, next_cursor } = await keysetPage(
    { kind: 'deliveries', filters: { subscription_id: input.subscription_id, status: input.status ?? null }, cursor: input.cursor, limit: input.limit },
    idPositionSchema,
    (after) => findDeliveryPage(ctx.db, { subscriptionId: input.subscription_id, status: input.status, afterId: after?.id }, input.limit),
    (row) => ({ id: int8ToId(row.id) }),
  );
  return { items: await withAttempts(ctx, rows), next_cursor };
}

/**
 * Sends a delivery again, with the same webhook-id, as soon as a deliverer takes it (a new series of
 * attempts, retried as the first was).
 * @throws LedgerError SUBSCRIPTION_NOT_FOUND, SUBSCRIPTION_DISABLED, DELIVERY_NOT_FOUND
 */
export async function replayDelivery(ctx: LedgerContext, input: ReplayDeliveryInput): Promise<Delivery> {
  await activeSubscription(ctx, input.subscription_id);
  const replayed = await replayDeliveryRow(ctx.db, input.subscription_id, input.delivery_id, outboundSettings(ctx).maxAttempts);
  const row = replayed ? await findDelivery(ctx.db, input.subscription_id, input.delivery_id) : undefined;
  if (row === undefined) {
    throw new LedgerError('DELIVERY_NOT_FOUND', `delivery ${input.delivery_id} of subscription ${input.subscription_id} not found`, {
      subscription_id: input.subscription_id,
      delivery_id: input.delivery_id,
    });
  }
  const [delivery] = await withAttempts(ctx, [row]);
  return delivery as Delivery;
}

const idPositionSchema = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,18}$/) });

async function activeSubscription(ctx: LedgerContext, subscriptionId: string): Promise<SubscriptionRow> {
  const row = await existing(await findSubscription(ctx.db, subscriptionId), subscriptionId);
  if (row.status !== 'active') {
    throw new LedgerError('SUBSCRIPTION_DISABLED', `subscription ${subscriptionId} is disabled`, { subscription_id: subscriptionId });
  }
  return row;
}

async function existing(row: SubscriptionRow | undefined, subscriptionId: string): Promise<SubscriptionRow> {
  if (row === undefined) {
    throw new LedgerError('SUBSCRIPTION_NOT_FOUND', `subscription ${subscriptionId} not found`, { subscription_id: subscriptionId });
  }
  return row;
}

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    subscription_id: int8ToId(row.id),
    url: row.url,
    event_types: row.event_types as OutboundEventType[],
    description: row.description,
    status: row.status === 'active' ? 'active' : 'disabled',
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

async function withAttempts(ctx: LedgerContext, rows: DeliveryRow[]): Promise<Delivery[]> {
  const attempts = await findAttempts(ctx.db, rows.map((row) => int8ToId(row.id)));
  const byDelivery = new Map<string, AttemptRow[]>();
  for (const attempt of attempts) {
    const key = int8ToId(attempt.delivery_id);
    byDelivery.set(key, [...(byDelivery.get(key) ?? []), attempt]);
  }
  return rows.map((row) => ({
    delivery_id: int8ToId(row.id),
    subscription_id: int8ToId(row.subscription_id),
    webhook_id: row.webhook_id,
    event: {
      event_id: int8ToId(row.event_id),
      type: row.event_type as OutboundEventType,
      occurred_at: row.occurred_at.toISOString(),
      data: row.payload,
    },
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    attempt_limit: row.attempt_limit,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    delivered_at: row.delivered_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    log: (byDelivery.get(int8ToId(row.id)) ?? []).map((attempt) => ({
      attempt: attempt.attempt,
      started_at: attempt.started_at.toISOString(),
      duration_ms: attempt.duration_ms,
      outcome: attempt.outcome as AttemptOutcome,
      status_code: attempt.status_code,
      error: attempt.error,
      response_excerpt: attempt.response_excerpt,
    })),
  }));
}
