import { z } from 'zod';
import { cursorParamSchema } from '../cursor.ts';
import { SUBSCRIPTION_PAGE_LIMIT_DEFAULT, SUBSCRIPTION_PAGE_LIMIT_MAX } from '../limits.ts';
import { decimalQueryNumber } from '../shared-schemas.ts';

/** The events consuming services can subscribe to (docs/outbound-events.md). */
export const OUTBOUND_EVENT_TYPES = [
  'payout.created',
  'payout.paid',
  'payout.failed',
  'dispute.opened',
  'dispute.closed',
  'balance.below_zero',
  'reconciliation.completed',
] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

export const SUBSCRIPTION_STATUSES = ['active', 'disabled'] as const;
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const ATTEMPT_OUTCOMES = ['delivered', 'http_error', 'timeout', 'network_error', 'refused_address', 'interrupted'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** A URL's length limit, as the database's CHECK. */
export const SUBSCRIPTION_URL_CHARS_MAX = 2048;
export const SUBSCRIPTION_DESCRIPTION_CHARS_MAX = 500;
/** A Standard Webhooks secret: whsec_ and the base64 of 24 to 64 random bytes. */
export const SUBSCRIPTION_SECRET_FORMAT = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

const idSchema = (what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, `must be a ${what} id: a positive decimal integer`)
    .meta({ description: `The ${what}'s id`, example: '1' });

export const createSubscriptionInputSchema = z.strictObject({
  url: z
    .string({ error: 'must be a string' })
    .max(SUBSCRIPTION_URL_CHARS_MAX, `must be at most ${SUBSCRIPTION_URL_CHARS_MAX} characters`)
    .meta({
      description:
        'Where events are POSTed: http or https, and its host must be allowed by LEDGER_OUTBOUND_ALLOWED_HOSTS (else 422 SUBSCRIPTION_URL_NOT_ALLOWED).',
      example: 'https://hooks.example.com/ledger',
    }),
  event_types: z
    .array(z.enum(OUTBOUND_EVENT_TYPES))
    .max(OUTBOUND_EVENT_TYPES.length)
    .refine((types) => new Set(types).size === types.length, 'must not repeat a type')
    .optional()
    .meta({ description: 'The event types to receive; absent or empty: all of them' }),
  description: z.string().max(SUBSCRIPTION_DESCRIPTION_CHARS_MAX).optional(),
  secret: z
    .string()
    .regex(SUBSCRIPTION_SECRET_FORMAT, 'must be whsec_ followed by the base64 of 24 to 64 bytes')
    .optional()
    .meta({ description: 'Your own signing secret; absent: the server generates one. Shown only in this response.' }),
});
export type CreateSubscriptionInput = z.output<typeof createSubscriptionInputSchema>;

export const subscriptionIdInputSchema = z.strictObject({ subscription_id: idSchema('subscription') });

export const listSubscriptionsInputSchema = z.strictObject({
  cursor: cursorParamSchema,
  limit: decimalQueryNumber(z.coerce.number<number>().int().min(1).max(SUBSCRIPTION_PAGE_LIMIT_MAX)).prefault(SUBSCRIPTION_PAGE_LIMIT_DEFAULT),
});
export type ListSubscriptionsInput = z.output<typeof listSubscriptionsInputSchema>;

export const listDeliveriesInputSchema = z.strictObject({
  subscription_id: idSchema('subscription'),
  status: z.enum(DELIVERY_STATUSES).optional(),
  cursor: cursorParamSchema,
  limit: decimalQueryNumber(z.coerce.number<number>().int().min(1).max(SUBSCRIPTION_PAGE_LIMIT_MAX)).prefault(SUBSCRIPTION_PAGE_LIMIT_DEFAULT),
});
export type ListDeliveriesInput = z.output<typeof listDeliveriesInputSchema>;

export const replayDeliveryInputSchema = z.strictObject({
  subscription_id: idSchema('subscription'),
  delivery_id: idSchema('delivery'),
});
export type ReplayDeliveryInput = z.output<typeof replayDeliveryInputSchema>;

/** A subscription as every route shows it: never its secret. */
export const subscriptionSchema = z
  .object({
    subscription_id: z.string(),
    url: z.string(),
    event_types: z.array(z.enum(OUTBOUND_EVENT_TYPES)).meta({ description: 'Empty: every type' }),
    description: z.string().nullable(),
    status: z.enum(SUBSCRIPTION_STATUSES),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Subscription' });
export type Subscription = z.output<typeof subscriptionSchema>;

/** The answer to creating a subscription or rotating its secret: the only place the secret appears. */
export const subscriptionWithSecretSchema = subscriptionSchema
  .extend({
    secret: z.string().meta({ description: 'The Standard Webhooks signing secret (whsec_…). Shown once: store it now.' }),
  })
  .meta({ id: 'SubscriptionWithSecret' });
export type SubscriptionWithSecret = z.output<typeof subscriptionWithSecretSchema>;

export const subscriptionPageSchema = z
  .object({ items: z.array(subscriptionSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'SubscriptionPage' });
export type SubscriptionPage = z.output<typeof subscriptionPageSchema>;

export const deliveryAttemptSchema = z
  .object({
    attempt: z.number().int(),
    started_at: z.string(),
    duration_ms: z.number().int(),
    outcome: z.enum(ATTEMPT_OUTCOMES),
    status_code: z.number().int().nullable().meta({ description: "The receiver's HTTP status; null when none came back" }),
    error: z.string().nullable(),
    response_excerpt: z.string().nullable().meta({ description: "The start of the receiver's answer (at most 500 characters)" }),
  })
  .meta({ id: 'DeliveryAttempt' });

export const deliverySchema = z
  .object({
    delivery_id: z.string(),
    subscription_id: z.string(),
    webhook_id: z.string().meta({ description: 'The webhook-id header: the same on every attempt and replay of this delivery' }),
    event: z.object({
      event_id: z.string(),
      type: z.enum(OUTBOUND_EVENT_TYPES),
      occurred_at: z.string(),
      data: z.record(z.string(), z.unknown()),
    }),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    attempt_limit: z.number().int(),
    next_attempt_at: z.string().nullable().meta({ description: 'When the next attempt is due; null unless pending' }),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
    log: z.array(deliveryAttemptSchema).meta({ description: 'Each attempt, oldest first (the most recent 50)' }),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.output<typeof deliverySchema>;

export const deliveryPageSchema = z
  .object({ items: z.array(deliverySchema), next_cursor: z.string().nullable() })
  .meta({ id: 'DeliveryPage' });
export type DeliveryPage = z.output<typeof deliveryPageSchema>;
