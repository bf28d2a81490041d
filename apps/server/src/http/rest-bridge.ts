import type { LedgerContext } from '@restaurant-ledger/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createOpenApiExpressMiddleware } from 'trpc-to-openapi';
import type { RequestContext } from '../context.ts';
import { ERROR_HTTP, errorHeaders, toLedgerError } from '../errors.ts';
import { appRouter } from '../router.ts';
import { errorEnvelope, successEnvelope } from './envelope.ts';
import { requestState } from './request-context.ts';

/** What the edge adds to the ledger context: credential checks, the payout worker's doorbell, metrics. */
export interface EdgeChecks {
  checkApiKey: RequestContext['checkApiKey'];
  checkWebhookSignature: RequestContext['checkWebhookSignature'];
  checkInternalIngest: RequestContext['checkInternalIngest'];
  wakePayoutWorker: RequestContext['wakePayoutWorker'];
  metrics: RequestContext['metrics'];
}

/** Builds a request's context; the same shape for REST and tRPC, so procedures never care which. */
export function createRequestContext(
  ledger: LedgerContext,
  checks: EdgeChecks,
  req: Request,
  transport: RequestContext['transport'],
): RequestContext {
  const state = requestState(req);
  return {
    ...ledger,
    ...checks,
    requestId: state.id,
    log: state.log,
    transport,
    headers: req.headers,
    rawBody: state.rawBody,
    response: {},
  };
}

/**
 * The REST routes: every procedure with an `openapi` path, served by trpc-to-openapi, answered in
 * the envelope. The bridge picks the status through `responseMeta` (201 from the procedure's
 * status slot, errors from the one error table) and reports errors through `onError`; the
 * envelope is put around its JSON as it is written.
 */
export function restBridge(ledger: LedgerContext, checks: EdgeChecks): RequestHandler {
  const bridge = createOpenApiExpressMiddleware({
    router: appRouter,
    createContext: ({ req }) => createRequestContext(ledger, checks, req as Request, 'rest'),
    responseMeta: ({ ctx, errors }) => {
      const [error] = errors;
      if (error !== undefined) {
        const ledgerError = toLedgerError(error);
        return { status: ERROR_HTTP[ledgerError.code].status, headers: errorHeaders(ledgerError) };
      }
      return ctx?.response.status !== undefined ? { status: ctx.response.status } : {};
    },
    onError: ({ error, req }) => {
      const state = requestState(req as Request);
      const ledgerError = toLedgerError(error);
      state.ledgerError = ledgerError;
      if (ledgerError.code === 'INTERNAL_ERROR' || ledgerError.code === 'SERVICE_UNAVAILABLE') {
        state.log.error({ err: error.cause ?? error }, 'request failed');
      }
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const state = requestState(req);
    const end = res.end.bind(res) as (chunk?: unknown) => Response;
    res.end = ((chunk?: unknown) => {
      const body =
        state.ledgerError !== undefined
          ? errorEnvelope(state.ledgerError, state.id)
          : successEnvelope(typeof chunk === 'string' ? (JSON.parse(chunk) as unknown) : null, state.id);
      return end(JSON.stringify(body));
    }) as Response['end'];
    bridge(req, res).catch(next);
  };
}
