import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { LedgerContext } from '@restaurant-ledger/core';
import type { Express, Request } from 'express';
import type { Logger } from 'pino';
import type { EdgeLimits } from '../edge-limits.ts';
import { toLedgerError } from '../errors.ts';
import { type EtagOf, noteFailure, writeEnvelope } from './envelope.ts';
import { type HotHandler, hotHandlers, type HotProcedure } from './hot-routes.ts';
import { refusedBodyNames, refusedQueryNames } from './input-names.ts';
import { bodyShapeError, isUtf8Charset, parseContentType, parseJsonBody } from './json-body.ts';
import type { Admit, RateLimiters, RateLimitClient } from './rate-limits.ts';
import { beginRequest, type LedgerRequestState } from './request-context.ts';
import { type EdgeChecks, pathInput } from './rest-routes.ts';
import { findRestRoute } from './route-template.ts';

export interface HotEdgeDependencies {
  ledger: LedgerContext;
  checks: EdgeChecks;
  logger: Logger;
  limits: Pick<EdgeLimits, 'bodyBytesMax'>;
  limiters: Pick<RateLimiters, 'admit'>;
}

type FoundRoute = NonNullable<ReturnType<typeof findRestRoute>>;

/** A path and query parseurl reads without its full parser (and so as express's req.path sees it). */
const PLAIN_URL = /^\/[^\t\n\f\r #\u00a0\ufeff]*$/;
/** A content-length raw-body reads as the number it says. */
const CONTENT_LENGTH = /^\d{1,15}$/;

/**
 * The server's request listener: the two hot routes (`POST /v1/processor/events`,
 * `GET /v1/restaurants/{restaurant_id}/balance`) answered straight from node:http, everything else
 * handed to the express app untouched (docs/adr/0008-hot-routes-at-node-http.md).
 *
 * It takes only requests it can answer exactly as the express app would, judged on the request
 * line and headers before anything is read or counted: the route found in the same route table
 * (same trailing slash and casing rules), POST with a UTF-8 application/json body of a declared
 * length within the body limit and no content-encoding, GET with no body, no charset but UTF-8
 * and no conditional headers. Anything else (HEAD, gzip, chunked, oversize, another media type or charset, an
 * absolute-form URL, If-None-Match, …) goes to express, where hot-routes.ts and the middlewares
 * answer it as before. What it takes runs the same steps, in the same order, from the same
 * functions: the request id, logger and summary line (beginRequest), the route's rate limit, the
 * query names, the body read and parsed as express.json would, its shape and names, the hot
 * route's handler, the envelope with express's headers (writeEnvelope), and the last resort's
 * failure handling (noteFailure). hot-edge.test.ts sends a table of requests to a server with and
 * without it and compares the answers.
 */
export function serveHotRoutesFirst(app: Express, deps: HotEdgeDependencies): RequestListener {
  const handlers = hotHandlers(deps.ledger, deps.checks);
  const admits: Readonly<Record<HotProcedure, Admit | undefined>> = {
    'events.ingest': deps.limiters.admit.webhook,
    'restaurants.balance': deps.limiters.admit.api,
  };
  const etagOf = app.get('etag fn') as EtagOf | undefined;
  const clientOf = (req: IncomingMessage): RateLimitClient => ({
    // express's own req.ip (its `trust proxy`), by giving the request express's prototype as express does.
    ip: () => {
      Object.setPrototypeOf(req, app.request);
      return (req as Request).ip;
    },
    remoteAddress: req.socket.remoteAddress,
    authorization: req.headers.authorization,
  });
  const edge: Edge = { deps, etagOf, clientOf };
  return (req, res) => {
    const found = hotRouteOf(req, deps.limits.bodyBytesMax);
    if (found === undefined) {
      app(req, res);
      return;
    }
    const procedure = found.route.procedure as HotProcedure;
    serve(edge, req, res, found, handlers[procedure], admits[procedure]).catch((error: unknown) => {
      // Only a failure to answer at all lands here (serve answers every other): the connection cannot be trusted.
      deps.logger.error({ err: error }, 'hot route could not answer');
      res.destroy();
    });
  };
}

interface Edge {
  deps: HotEdgeDependencies;
  etagOf: EtagOf | undefined;
  clientOf(req: IncomingMessage): RateLimitClient;
}

/** The hot route a request is for, when this listener can answer it exactly as express would; else undefined. */
export function hotRouteOf(req: IncomingMessage, bodyBytesMax: number): FoundRoute | undefined {
  const { method, url = '', headers } = req;
  if ((method !== 'POST' && method !== 'GET') || !PLAIN_URL.test(url)) return undefined;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
  const contentType = headers['content-type'];
  const declared = contentType === undefined ? undefined : parseContentType(contentType);
  // A charset other than UTF-8 is refused by contentTypeGuard, whatever the method.
  if (declared?.charset !== undefined && !isUtf8Charset(declared.charset)) return undefined;
  if (method === 'GET') {
    // No body (so no media type matters: nothing is parsed), and nothing that could make express answer 304.
    const plainGet = headers['content-length'] === undefined && headers['if-none-match'] === undefined && headers['if-modified-since'] === undefined;
    if (!plainGet) return undefined;
  } else {
    if (declared?.mediaType !== 'application/json') return undefined;
    const length = headers['content-length'];
    if (length === undefined || !CONTENT_LENGTH.test(length) || Number(length) > bodyBytesMax) return undefined;
  }
  const queryStart = url.indexOf('?');
  const found = findRestRoute(method, queryStart === -1 ? url : url.slice(0, queryStart));
  return found !== undefined && HOT_PROCEDURES.has(found.route.procedure) ? found : undefined;
}

const HOT_PROCEDURES: ReadonlySet<string> = new Set<HotProcedure>(['events.ingest', 'restaurants.balance']);

/** One hot request, in the order express runs it: rate limit, query names, body, shape, names, handler. */
async function serve(edge: Edge, req: IncomingMessage, res: ServerResponse, found: FoundRoute, handle: HotHandler, admit: Admit | undefined): Promise<void> {
  const { deps, etagOf } = edge;
  const state = beginRequest(req, res, deps.logger, deps.checks.metrics, () => found.route.template);
  try {
    const refusal = admit === undefined ? undefined : await admit(edge.clientOf(req), res, state.log);
    if (refusal !== undefined) {
      state.ledgerError = refusal;
      writeEnvelope(res, state.id, { error: refusal }, etagOf);
      return;
    }
    const method = req.method ?? '';
    const url = req.url ?? '';
    throwIfDefined(refusedQueryNames(method, url));
    let body: unknown;
    let rawBody: Buffer | undefined;
    if (method === 'POST') {
      // As contentTypeGuard leaves it for the handler.
      req.headers['content-type'] = 'application/json';
      rawBody = await readBody(req);
      body = parseJsonBody(rawBody);
      throwIfDefined(bodyShapeError(body, rawBody));
      throwIfDefined(refusedBodyNames(method, url, body));
    }
    const outcome = await handle({ headers: req.headers, url, body, rawBody }, pathInput(found));
    writeEnvelope(res, state.id, outcome, etagOf);
  } catch (error) {
    fail(edge, res, state, error);
  }
}

function throwIfDefined(error: Error | undefined): void {
  if (error !== undefined) throw error;
}

/** Express's last resort (app.ts), for a hot request. */
function fail(edge: Edge, res: ServerResponse, state: LedgerRequestState, error: unknown): void {
  const ledgerError = noteFailure(state, error);
  if (res.headersSent) {
    res.end();
    return;
  }
  writeEnvelope(res, state.id, { error: ledgerError }, edge.etagOf);
}

/**
 * The body's bytes, whole (its declared length is within the limit: hotRouteOf). A request the
 * client abandons fails as raw-body's does (`request.aborted`: MALFORMED_JSON, could not be read).
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, received));
    };
    const onAborted = (): void => {
      cleanup();
      reject(toLedgerError(Object.assign(new Error('request aborted'), { type: 'request.aborted' })));
    };
    const onClose = (): void => {
      if (!req.complete) onAborted();
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAborted);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAborted);
    req.on('close', onClose);
  });
}
