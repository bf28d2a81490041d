import { decodeSettlementReport, type LedgerContext } from '@restaurant-ledger/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RequestContext } from '../context.ts';
import { EdgeError } from '../edge-errors.ts';
import { appRouter } from '../router.ts';
import { respond } from './envelope.ts';
import { requestState } from './request-context.ts';
import { findRestRoute } from './route-template.ts';

/** What the edge adds to the ledger context: credential checks, the payout worker's doorbell, metrics. */
export interface EdgeChecks {
  checkApiKey: RequestContext['checkApiKey'];
  checkWebhookSignature: RequestContext['checkWebhookSignature'];
  checkInternalIngest: RequestContext['checkInternalIngest'];
  wakePayoutWorker: RequestContext['wakePayoutWorker'];
  wakeOutboundDeliverer?: RequestContext['wakeOutboundDeliverer'];
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

/** Calls a procedure by its dotted path through the router, its middlewares included, as the SDK's calls are. */
function callProcedure(ctx: RequestContext, procedure: string, input: unknown): Promise<unknown> {
  const caller = appRouter.createCaller(ctx) as unknown as Record<string, unknown>;
  const fn = procedure.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  return (fn as (input: unknown) => Promise<unknown>)(input);
}

/**
 * The REST routes: each procedure with an `openapi` path, called through the router as the SDK's
 * calls are, its answer written by the one writer (respond) in the envelope. Input is the query
 * (GET, DELETE) or the JSON body, with the path parameters, which checkBodyNames and
 * checkQueryNames keep from clashing. A path that matches no route goes on to the 404.
 */
export function restRoutes(ledger: LedgerContext, checks: EdgeChecks): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const found = findRestRoute(req.method, req.path);
    if (found === undefined) return next();
    try {
      const hasBody = req.method !== 'GET' && req.method !== 'DELETE';
      const { mediaType } = found.route;
      if (hasBody && req.headers['content-type'] !== mediaType) {
        throw new EdgeError('UNSUPPORTED_MEDIA_TYPE', `Send the body as ${mediaType}`);
      }
      const ctx = createRequestContext(ledger, checks, req, 'rest');
      const body = mediaType === 'text/csv' ? { csv: decodeSettlementReport(requestState(req).rawBody ?? Buffer.alloc(0)) } : (req.body as object | undefined);
      const input = { ...(hasBody ? body : queryInput(req.originalUrl)), ...pathInput(found) };
      const data = await callProcedure(ctx, found.route.procedure, input);
      respond(res, requestState(req).id, { status: ctx.response.status ?? 200, data });
    } catch (error) {
      next(error);
    }
  };
}

/**
 * The path's parameters, decoded.
 * @throws URIError on bad percent-encoding (422 VALIDATION_ERROR through the one mapper)
 */
export function pathInput(found: NonNullable<ReturnType<typeof findRestRoute>>): Record<string, string> {
  return Object.fromEntries(found.route.parameters.map((name, index) => [name, decodeURIComponent(found.match[index + 1] ?? '')]));
}

/** The query of a URL as sent (`originalUrl`) as the schemas read it: a repeated name is an array, an empty value is absent. */
export function queryInput(originalUrl: string): Record<string, string | string[]> {
  const queryStart = originalUrl.indexOf('?');
  const params = new URLSearchParams(queryStart === -1 ? '' : originalUrl.slice(queryStart + 1));
  const input: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name).filter((value) => value !== '');
    if (values.length > 0) input[name] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return input;
}
