import { balanceQuerySchema, getBalance, ingestEvent, type LedgerContext, processorEventInputSchema } from '@restaurant-ledger/core';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { EdgeError } from '../edge-errors.ts';
import { toLedgerError } from '../errors.ts';
import { eventOutcomeOfError } from '../metrics.ts';
import { respond } from './envelope.ts';
import { inSequence } from './in-sequence.ts';
import { requestState } from './request-context.ts';
import { type EdgeChecks, pathInput, queryInput } from './rest-routes.ts';
import { findRestRoute } from './route-template.ts';

/** What a hot route reads of its request, once the middlewares have run (express's or hot-edge.ts's). */
export interface HotRequest {
  headers: IncomingHttpHeaders;
  /** The URL as sent (express's `originalUrl`): the query is read from it. */
  url: string;
  /** The parsed JSON body (undefined when there was none) and its bytes. */
  body: unknown;
  rawBody: Buffer | undefined;
}

/** What a hot route answers: a status and the data the procedure would have returned. */
export type HotHandler = (req: HotRequest, path: Record<string, string>) => Promise<{ status: number; data: unknown }>;

/** The hot routes' handlers by procedure, for express (below) and for node:http (hot-edge.ts). */
export function hotHandlers(ledger: LedgerContext, checks: EdgeChecks): Readonly<Record<HotProcedure, HotHandler>> {
  return { 'events.ingest': recordEvent(ledger, checks), 'restaurants.balance': readBalance(ledger, checks) };
}

export type HotProcedure = 'events.ingest' | 'restaurants.balance';

/**
 * The busiest routes, answered without the general REST dispatch and the tRPC caller: the
 * processor's webhook (`events.ingest`) and the balance (`restaurants.balance`), the two issue 14
 * measures. Each is its procedure's REST route, found in the same route table; it runs the same
 * middlewares in the same order (`checks`: rate limit, query names, body parsing and shape), the
 * procedure's credential check, the procedure's own input schema, then the same core function,
 * answered by the one writer and failed through the one error path (`next(error)`). The procedures
 * stay: the SDK calls them over tRPC, and their metadata and schemas generate the OpenAPI document.
 * The tests that walk these routes (webhook-http, restaurants-http, observability, abuse-limits,
 * the fuzz and contract runs) hold the two paths to the same answers (docs/adr/0004-hot-routes.md).
 * Every other request, HEAD included, passes on untouched.
 */
export function hotRoutes(ledger: LedgerContext, checks: EdgeChecks, middlewares: { webhook: readonly RequestHandler[]; api: readonly RequestHandler[] }): RequestHandler {
  const handle = hotHandlers(ledger, checks);
  const handlers: Record<string, { chain: readonly RequestHandler[]; handle: HotHandler }> = {
    'events.ingest': { chain: middlewares.webhook, handle: handle['events.ingest'] },
    'restaurants.balance': { chain: middlewares.api, handle: handle['restaurants.balance'] },
  };
  const chains = Object.fromEntries(
    Object.entries(handlers).map(([procedure, { chain, handle }]) => [procedure, inSequence([...chain, answer(handle)])]),
  );
  return (req, res, next) => {
    const found = req.method === 'HEAD' ? undefined : findRestRoute(req.method, req.path);
    const chain = found === undefined ? undefined : chains[found.route.procedure];
    if (found === undefined || chain === undefined) return next();
    res.locals.hotRoute = found;
    chain(req, res, next);
  };
}

function answer(handle: HotHandler): RequestHandler {
  return async (req, res, next) => {
    try {
      // Decoded here, after the rate limit and the other checks, as the general route decodes it.
      const path = pathInput(res.locals.hotRoute as NonNullable<ReturnType<typeof findRestRoute>>);
      const { id, rawBody } = requestState(req);
      respond(res, id, await handle({ headers: req.headers, url: req.originalUrl, body: req.body, rawBody }, path));
    } catch (error) {
      next(error);
    }
  };
}

function recordEvent(ledger: LedgerContext, checks: EdgeChecks): HotHandler {
  return async (req) => {
    if (req.headers['content-type'] !== 'application/json') throw new EdgeError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
    checks.checkWebhookSignature(req.rawBody, req.headers);
    // The body as the processor sent it (a copy, as the REST routes give every procedure).
    const rawPayload: Record<string, unknown> = { ...(req.body as object | undefined) };
    const result = await counted(checks, rawPayload.event_type, async () => ingestEvent(ledger, processorEventInputSchema.parse(rawPayload), rawPayload));
    return { status: result.idempotent ? 200 : 201, data: result };
  };
}

function readBalance(ledger: LedgerContext, checks: EdgeChecks): HotHandler {
  return async (req, path) => {
    checks.checkApiKey(req.headers);
    return { status: 200, data: await getBalance(ledger, balanceQuerySchema.parse({ ...queryInput(req.url), ...path })) };
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
