import { type BatchItemOutcome, ingestResultSchema } from '@restaurant-ledger/core';
import { z } from 'zod';
import { ERROR_HTTP, errorBody, errorBodySchema } from './errors.ts';

const count = z.number().int().min(0);

/**
 * The batch route's answer: one result per event, in batch order, each with the status and body
 * the single route would have answered for that event alone. The batch itself answers 200.
 */
export const eventBatchResultSchema = z
  .object({
    results: z.array(
      z.object({
        index: count.meta({ description: 'Position of the event in the batch, from 0' }),
        event_id: z.string().nullable().meta({ description: 'The event_id as sent (null when it was not a string)' }),
        status: z.number().int().meta({ description: '201 recorded, 200 replay (idempotent), 409 EVENT_ID_CONFLICT, 422 invalid' }),
        success: z.boolean(),
        data: ingestResultSchema.optional().meta({ description: 'When success: what the single route answers' }),
        error: errorBodySchema.optional().meta({ description: 'When not success: the error the single route answers' }),
      }),
    ),
    summary: z.object({ created: count, idempotent: count, conflicts: count, rejected: count }),
  })
  .meta({ id: 'ProcessorEventBatchResult' });
export type EventBatchResult = z.output<typeof eventBatchResultSchema>;

export function toBatchResult(outcomes: readonly BatchItemOutcome[]): EventBatchResult {
  const summary = { created: 0, idempotent: 0, conflicts: 0, rejected: 0 };
  const results = outcomes.map(({ index, event_id, result, error }) => {
    if (result !== undefined) {
      summary[result.idempotent ? 'idempotent' : 'created'] += 1;
      return { index, event_id, status: result.idempotent ? 200 : 201, success: true, data: result };
    }
    summary[error.code === 'EVENT_ID_CONFLICT' ? 'conflicts' : 'rejected'] += 1;
    return { index, event_id, status: ERROR_HTTP[error.code].status, success: false, error: errorBody(error) };
  });
  return { results, summary };
}
