import type { ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import type { Response } from 'express';
import type { WireError } from '../edge-errors.ts';
import { ERROR_HTTP, type ErrorBody, errorBody, errorHeaders, toLedgerError } from '../errors.ts';
import type { LedgerRequestState } from './request-context.ts';

export interface ResponseMeta {
  timestamp: string;
  request_id: string;
}

export interface SuccessEnvelope<T> {
  success: true;
  data: T;
  meta: ResponseMeta;
}

export interface ErrorEnvelope {
  success: false;
  error: ErrorBody;
  meta: ResponseMeta;
}

export function responseMeta(requestId: string): ResponseMeta {
  return { timestamp: new Date().toISOString(), request_id: requestId };
}

export function successEnvelope<T>(data: T, requestId: string): SuccessEnvelope<T> {
  return { success: true, data, meta: responseMeta(requestId) };
}

export function errorEnvelope(error: WireError, requestId: string): ErrorEnvelope {
  return { success: false, error: errorBody(error), meta: responseMeta(requestId) };
}

/**
 * The one writer of enveloped responses: a success with its status, or an error at the status and
 * with the headers the error table gives.
 */
export function respond(res: Response, requestId: string, outcome: { status: number; data: unknown } | { error: WireError }): void {
  if ('error' in outcome) {
    res.status(ERROR_HTTP[outcome.error.code].status).set(errorHeaders(outcome.error)).json(errorEnvelope(outcome.error, requestId));
  } else {
    res.status(outcome.status).json(successEnvelope(outcome.data, requestId));
  }
}

/** Answers with an error in the envelope (see respond). */
export function sendError(res: Response, error: WireError, requestId: string): void {
  respond(res, requestId, { error });
}

/** express's `etag fn` setting (a weak ETag of the body by default): what its res.send adds. */
export type EtagOf = (body: Buffer, encoding?: BufferEncoding) => string | undefined;

/**
 * respond() on a plain node:http response (hot-edge.ts), written as express's res.json writes it:
 * the same status, the error's headers, then content-type, content-length and express's ETag, in
 * that order, and the same bytes.
 */
export function writeEnvelope(res: ServerResponse, requestId: string, outcome: { status: number; data: unknown } | { error: WireError }, etagOf: EtagOf | undefined): void {
  let envelope: SuccessEnvelope<unknown> | ErrorEnvelope;
  if ('error' in outcome) {
    res.statusCode = ERROR_HTTP[outcome.error.code].status;
    for (const [name, value] of Object.entries(errorHeaders(outcome.error))) res.setHeader(name, value);
    envelope = errorEnvelope(outcome.error, requestId);
  } else {
    res.statusCode = outcome.status;
    envelope = successEnvelope(outcome.data, requestId);
  }
  const body = Buffer.from(JSON.stringify(envelope), 'utf8');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(body.length));
  const etag = etagOf?.(body);
  if (etag !== undefined && etag !== '') res.setHeader('ETag', etag);
  res.end(body);
}

/**
 * What the last resort does with a request's failure before it answers: the error the client
 * sees, noted for the request's summary line, and internals (an internal error, an unavailable
 * database) logged. Express's last resort and hot-edge.ts both go through it.
 */
export function noteFailure(state: LedgerRequestState, error: unknown): WireError {
  const ledgerError = toLedgerError(error);
  state.ledgerError = ledgerError;
  if (ledgerError.code === 'INTERNAL_ERROR' || ledgerError.code === 'SERVICE_UNAVAILABLE') {
    state.log.error({ err: error instanceof TRPCError && error.cause !== undefined ? error.cause : error }, 'request failed');
  }
  return ledgerError;
}
