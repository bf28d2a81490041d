import {
  createSubscription,
  createSubscriptionInputSchema,
  deliveryPageSchema,
  deliverySchema,
  disableSubscription,
  getSubscription,
  listDeliveries,
  listDeliveriesInputSchema,
  listSubscriptions,
  listSubscriptionsInputSchema,
  replayDelivery,
  replayDeliveryInputSchema,
  rotateSubscriptionSecret,
  subscriptionIdInputSchema,
  subscriptionPageSchema,
  subscriptionSchema,
  subscriptionWithSecretSchema,
} from '@restaurant-ledger/core';
import { authedProcedure, router } from '../trpc.ts';

const TAGS = ['outbound events'];

export const subscriptionsRouter = router({
  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/subscriptions',
        tags: TAGS,
        summary: 'Subscribe a URL to outbound events, signed with Standard Webhooks',
        description:
          'The URL must be http or https and its host allowed by LEDGER_OUTBOUND_ALLOWED_HOSTS (empty: nothing is allowed); ' +
          'else 422 SUBSCRIPTION_URL_NOT_ALLOWED with the reason. The signing secret (yours, or generated) is in this ' +
          'answer only: no other route shows it. Events recorded from now on are delivered at least once (docs/outbound-events.md).',
      },
      successStatus: 201,
      errorCodes: ['VALIDATION_ERROR', 'SUBSCRIPTION_URL_NOT_ALLOWED'],
    })
    .input(createSubscriptionInputSchema)
    .output(subscriptionWithSecretSchema)
    .mutation(async ({ ctx, input }) => {
      const created = await createSubscription(ctx, input);
      ctx.response.status = 201;
      return created;
    }),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/subscriptions',
        tags: TAGS,
        summary: 'Subscriptions, oldest first, with cursor pagination (never their secrets)',
        description: 'Disabled ones included. Pass next_cursor back as cursor for the next page; null means this is the last page.',
      },
      errorCodes: ['VALIDATION_ERROR', 'CURSOR_INVALID'],
    })
    .input(listSubscriptionsInputSchema)
    .output(subscriptionPageSchema)
    .query(({ ctx, input }) => listSubscriptions(ctx, input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/subscriptions/{subscription_id}',
        tags: TAGS,
        summary: 'A subscription (never its secret)',
        description: 'An unknown id is 404 SUBSCRIPTION_NOT_FOUND; a malformed one 422 VALIDATION_ERROR.',
      },
      errorCodes: ['VALIDATION_ERROR', 'SUBSCRIPTION_NOT_FOUND'],
    })
    .input(subscriptionIdInputSchema)
    .output(subscriptionSchema)
    .query(({ ctx, input }) => getSubscription(ctx, input.subscription_id)),

  disable: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/v1/subscriptions/{subscription_id}',
        tags: TAGS,
        summary: 'Disable a subscription: no new deliveries, pending ones cancelled',
        description: 'The subscription and its delivery log are kept (status disabled). Again: the same answer.',
      },
      errorCodes: ['VALIDATION_ERROR', 'SUBSCRIPTION_NOT_FOUND'],
    })
    .input(subscriptionIdInputSchema)
    .output(subscriptionSchema)
    .mutation(({ ctx, input }) => disableSubscription(ctx, input.subscription_id)),

  rotateSecret: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/subscriptions/{subscription_id}/rotate-secret',
        tags: TAGS,
        summary: 'Replace the signing secret; the new one is in this answer only',
        description: 'Every attempt from now on, retries of older deliveries included, is signed with the new secret.',
      },
      errorCodes: ['VALIDATION_ERROR', 'SUBSCRIPTION_NOT_FOUND', 'SUBSCRIPTION_DISABLED'],
    })
    .input(subscriptionIdInputSchema)
    .output(subscriptionWithSecretSchema)
    .mutation(({ ctx, input }) => rotateSubscriptionSecret(ctx, input.subscription_id)),

  deliveries: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/v1/subscriptions/{subscription_id}/deliveries',
        tags: TAGS,
        summary: "The delivery log: a subscription's deliveries, oldest first, each with its attempts",
        description:
          'Each delivery is one event for this subscription, with its webhook-id (the same on every attempt), status ' +
          '(pending, delivered, failed, cancelled) and attempts: when, how long, the status code, the error, the start of the answer.',
      },
      errorCodes: ['VALIDATION_ERROR', 'SUBSCRIPTION_NOT_FOUND', 'CURSOR_INVALID'],
    })
    .input(listDeliveriesInputSchema)
    .output(deliveryPageSchema)
    .query(({ ctx, input }) => listDeliveries(ctx, input)),

  replay: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/subscriptions/{subscription_id}/deliveries/{delivery_id}/replay',
        tags: TAGS,
        summary: 'Send a delivery again, with the same webhook-id',
        description:
          'Due at once, with a new series of attempts (retried as the first was), whatever its status: a delivered one is sent ' +
          'again, and the receiver recognises it by its webhook-id.',
      },
      successStatus: 202,
      errorCodes: ['VALIDATION_ERROR', 'SUBSCRIPTION_NOT_FOUND', 'SUBSCRIPTION_DISABLED', 'DELIVERY_NOT_FOUND'],
    })
    .input(replayDeliveryInputSchema)
    .output(deliverySchema)
    .mutation(async ({ ctx, input }) => {
      const delivery = await replayDelivery(ctx, input);
      ctx.response.status = 202;
      ctx.wakeOutboundDeliverer?.();
      return delivery;
    }),
});
