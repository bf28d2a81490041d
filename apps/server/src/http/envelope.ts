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

/** Answers with a ledger error in the envelope, at the status the error table gives. */
export function sendError(res: Response, error: WireError, requestId: string): void {
  res.status(ERROR_HTTP[error.code].status).set(errorHeaders(error)).json(errorEnvelope(error, requestId));
}
