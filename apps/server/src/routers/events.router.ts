import { ingestEvent, ingestResultSchema, processorEventInputSchema } from '@restaurant-ledger/core';
import { router, webhookProcedure } from '../trpc.ts';

export const eventsRouter = router({
  ingest: webhookProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/processor/events',
        tags: ['webhooks'],
        summary: 'Record a processor event (webhook)',
        description:
          'Records the event and its ledger entries exactly once. 201 the first time an event_id is seen; ' +
          '200 with `idempotent: true` for a replay with the same content (nothing written); 409 ' +
          '`EVENT_ID_CONFLICT` for a known event_id with different content (nothing written). When a signing ' +
          'secret is configured, requests carry Standard Webhooks headers (webhook-id, webhook-timestamp, ' +
          'webhook-signature).',
        protect: false,
      },
      successStatus: 201,
      errorCodes: [
        'WEBHOOK_SIGNATURE_INVALID',
        'EVENT_ID_CONFLICT',
        'EVENT_INVALID_TYPE',
        'EVENT_INVALID_FEE',
      ],
    })
    .input(processorEventInputSchema)
    .output(ingestResultSchema)
    .mutation(async ({ ctx, input }) => {
      const result = await ingestEvent(ctx, input, ctx.rawPayload);
      if (!result.idempotent) ctx.response.status = 201;
      return result;
    }),
});
