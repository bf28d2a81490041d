import { ingestEvent, type LedgerContext, processorEventInputSchema } from '@restaurant-ledger/core';
import type { Request, RequestHandler } from 'express';
import { EdgeError } from '../edge-errors.ts';
import { toLedgerError } from '../errors.ts';
import { eventOutcomeOfError } from '../metrics.ts';
import { respond } from './envelope.ts';
import { inSequence } from './in-sequence.ts';
import { requestState } from './request-context.ts';
import type { EdgeChecks } from './rest-routes.ts';

/** The processor's single-event webhook: the busiest route, the one issue 14 measures. */
export const WEBHOOK_PATH = '/v1/processor/events';

/**
 * `POST /v1/processor/events` without the general REST dispatch and the tRPC caller: the same
 * checks in the same order (rate limit, query names, media type, body parsing and shape, the
 * signature before the body is validated), then core's ingestEvent, answered by the one writer and
 * failed through the one error path (`next(error)`). It is the `events.ingest` procedure's REST
 * route, whose schema and metadata still generate the OpenAPI document; webhook-http.test.ts and
 * the contract tests hold the two to the same answers. Every other request passes on untouched.
 *
 * @param bodyChecks the REST routes' own middlewares, from the rate limit to the body's names.
 */
export function webhookRoute(ledger: LedgerContext, checks: EdgeChecks, bodyChecks: readonly RequestHandler[]): RequestHandler {
  const chain = inSequence([...bodyChecks, recordEvent(ledger, checks)]);
  return (req, res, next) => (isWebhook(req) ? chain(req, res, next) : next());
}

function isWebhook(req: Request): boolean {
  return req.method === 'POST' && (req.path === WEBHOOK_PATH || req.path === `${WEBHOOK_PATH}/`);
}

function recordEvent(ledger: LedgerContext, checks: EdgeChecks): RequestHandler {
  return async (req, res, next) => {
    try {
      if (req.headers['content-type'] !== 'application/json') throw new EdgeError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
      const state = requestState(req);
      checks.checkWebhookSignature(state.rawBody, req.headers);
      // The body as the processor sent it (a copy, as the REST routes give every procedure).
      const rawPayload: Record<string, unknown> = { ...(req.body as object | undefined) };
      const result = await counted(checks, rawPayload.event_type, async () => ingestEvent(ledger, processorEventInputSchema.parse(rawPayload), rawPayload));
      respond(res, state.id, { status: result.idempotent ? 200 : 201, data: result });
    } catch (error) {
      next(error);
    }
  };
}

/** Counts the event's outcome by type, as every ingestion route does; a refused signature is not an event. */
async function counted<T extends { idempotent: boolean }>(checks: EdgeChecks, eventType: unknown, ingest: () => Promise<T>): Promise<T> {
  try {
    const result = await ingest();
    checks.metrics.eventOutcome(eventType, result.idempotent ? 'idempotent' : 'created');
    return result;
  } catch (error) {
    checks.metrics.eventOutcome(eventType, eventOutcomeOfError(toLedgerError(error)));
    throw error;
  }
}
