import {
  EVENT_BATCH_MAX,
  eventBatchInputSchema,
  ingestEvent,
  ingestEventBatch,
  ingestResultSchema,
  processorEventInputSchema,
} from '@restaurant-ledger/core';
import { toLedgerError } from '../errors.ts';
import { eventBatchResultSchema, toBatchResult } from '../event-batch-result.ts';
import { countBatchOutcomes, eventOutcomeOfError } from '../metrics.ts';
import { router, webhookProcedure, createdUnlessReplay } from '../trpc.ts';

/**
 * Counts each event's outcome by type, input validation failures included (this runs before the
 * input is parsed); a request refused before (a bad signature) is not an event and is not counted.
 */
const countedWebhook = webhookProcedure.use(async ({ ctx, next, getRawInput }) => {
  const result = await next();
  const raw = await getRawInput();
  const eventType = typeof raw === 'object' && raw !== null ? (raw as { event_type?: unknown }).event_type : undefined;
  if (!result.ok) ctx.metrics.eventOutcome(eventType, eventOutcomeOfError(toLedgerError(result.error)));
  else ctx.metrics.eventOutcome(eventType, (result.data as { idempotent?: unknown }).idempotent === true ? 'idempotent' : 'created');
  return result;
});

export const eventsRouter = router({
  ingest: countedWebhook
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
    .mutation(async ({ ctx, input }) => createdUnlessReplay(ctx, await ingestEvent(ctx, input, ctx.rawPayload))),

  ingestBatch: webhookProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/v1/processor/events/batch',
        tags: ['webhooks'],
        summary: `Record up to ${EVENT_BATCH_MAX} processor events at once (webhook)`,
        description:
          'Signed like the single route (the signature covers the whole body). Each event is answered on its own, ' +
          'in batch order, with the status the single route would give it: 201 recorded, 200 replay (`idempotent: ' +
          'true`), 409 `EVENT_ID_CONFLICT`, 422 invalid. One bad event does not block the others. The batch itself ' +
          'answers 200 once its shape is valid; a 4xx or 5xx for the whole batch means no per-event results. After ' +
          'a 5xx some events may be recorded: resending the batch is safe, they answer as replays.',
        protect: false,
      },
      errorCodes: ['WEBHOOK_SIGNATURE_INVALID'],
    })
    .input(eventBatchInputSchema)
    .output(eventBatchResultSchema)
    .mutation(async ({ ctx, input }) => {
      const outcomes = await ingestEventBatch(ctx, input.events);
      countBatchOutcomes(ctx.metrics, input.events, outcomes);
      return toBatchResult(outcomes);
    }),
});
