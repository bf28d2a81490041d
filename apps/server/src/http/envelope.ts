import type { Response } from 'express';
import type { WireError } from '../edge-errors.ts';
import { ERROR_HTTP, type ErrorBody, errorBody, errorHeaders } from '../errors.ts';

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
