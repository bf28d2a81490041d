import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { LedgerMetrics } from '../metrics.ts';
import { routeTemplate } from './route-template.ts';
import type { WireError } from '../edge-errors.ts';

const INCOMING_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What the edge attaches to each request. */
export interface LedgerRequestState {
  id: string;
  /** Carries `request_id` on every line it writes. */
  log: Logger;
  /** The body bytes as received, kept by the JSON parser for signature checks. */
  rawBody?: Buffer;
  /** The error a REST route failed with, for the envelope. */
  ledgerError?: WireError;
}

const STATE = Symbol('ledger-request-state');
type WithState = Request & { [STATE]?: LedgerRequestState };

export function requestState(req: Request): LedgerRequestState {
  const state = (req as WithState)[STATE];
  if (state === undefined) throw new Error('requestContext middleware has not run');
  return state;
}

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && INCOMING_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/**
 * Gives every request an id (the caller's `x-request-id` when it is sane, else a new UUID), echoes
 * it as a header, and hands the request a child logger whose every line carries it. When the
 * response ends (or the client goes away), one line sums the request up (method, route template,
 * status, time, error code: never headers or bodies) and the latency histogram is told.
 *
 * A plain pino child, not pino-http: pino-http builds a second child bound to the whole request
 * on every request, and with redaction configured pino serialises and redacts those bindings at
 * once, even when no line is ever written. That was 24% of the single-event route's CPU
 * (docs/single-event-profile.md).
 */
export function requestContext(logger: Logger, metrics: LedgerMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    (req as WithState)[STATE] = beginRequest(req, res, logger, metrics, () => routeTemplate(req));
    next();
  };
}

/**
 * The request's id, header, logger and summary line (see requestContext), for a request served
 * straight from node:http (hot-edge.ts) as for one served by express. `route` is asked when the
 * response ends.
 */
export function beginRequest(req: IncomingMessage, res: ServerResponse, logger: Logger, metrics: LedgerMetrics, route: () => string): LedgerRequestState {
  const started = process.hrtime.bigint();
  const id = requestId(req, res);
  const log = logger.child({ request_id: id });
  const state: LedgerRequestState = { id, log };
  res.once('close', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const template = route();
    const method = req.method ?? '';
    metrics.requestFinished(method, template, res.statusCode, seconds);
    const line = {
      method,
      route: template,
      status: res.statusCode,
      duration_ms: Math.round(seconds * 1e4) / 10,
      ...(state.ledgerError !== undefined && { error_code: state.ledgerError.code }),
      ...(!res.writableFinished && { aborted: true }),
    };
    if (res.statusCode >= 500) log.error(line, 'request');
    else log.info(line, 'request');
  });
  return state;
}
