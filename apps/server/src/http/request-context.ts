import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LedgerError } from '@restaurant-ledger/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { serializeError } from '../logger.ts';
import type { LedgerMetrics } from '../metrics.ts';
import { routeTemplate } from './route-template.ts';

const INCOMING_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What the edge attaches to each request. */
export interface LedgerRequestState {
  id: string;
  /** Carries `request_id` on every line it writes. */
  log: Logger;
  /** The body bytes as received, kept by the JSON parser for signature checks. */
  rawBody?: Buffer;
  /** The error a REST route failed with, for the envelope. */
  ledgerError?: LedgerError;
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
 * it as a header, and hands the request a child logger (pino-http) whose every line carries it.
 * When the response ends, one line sums the request up (method, route template, status, time,
 * error code: never headers or bodies) and the latency histogram is told.
 */
export function requestContext(logger: Logger, metrics: LedgerMetrics): RequestHandler {
  const summary = (req: IncomingMessage, res: ServerResponse, responseTimeMs: unknown) => {
    const state = (req as WithState)[STATE];
    return {
      method: req.method,
      route: routeTemplate(req as Request),
      status: res.statusCode,
      duration_ms: responseTimeMs,
      ...(state?.ledgerError !== undefined && { error_code: state.ledgerError.code }),
    };
  };
  const httpLogger = pinoHttp({
    logger,
    genReqId: requestId,
    customAttributeKeys: { reqId: 'request_id', responseTime: 'duration_ms' },
    // Lines carry only the request id; the summary line below says the rest.
    quietReqLogger: true,
    quietResLogger: true,
    wrapSerializers: false,
    serializers: { err: serializeError },
    customLogLevel: (_req, res, error) => (error !== undefined || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    customSuccessObject: (req, res, value: { duration_ms?: unknown }) => summary(req, res, value.duration_ms),
    customErrorObject: (req, res, _error, value: { duration_ms?: unknown }) => summary(req, res, value.duration_ms),
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const method = req.method;
    httpLogger(req, res);
    (req as WithState)[STATE] = { id: String(req.id), log: req.log };
    res.once('close', () => {
      metrics.requestFinished(method, routeTemplate(req), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
