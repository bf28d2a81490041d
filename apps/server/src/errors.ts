import { isDatabaseTimeout, isDatabaseUnavailable, isDataException, LedgerError, ledgerErrorFromZod } from '@restaurant-ledger/core';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import { EdgeError, isWireError, WIRE_ERROR_CODES, type WireError, type WireErrorCode } from './edge-errors.ts';
import { bodyParserError } from './http/body-parser-errors.ts';

/** The one table from every wire error code (core's and the edge's) to HTTP status (REST) and tRPC code (SDK). */
export const ERROR_HTTP: Readonly<Record<WireErrorCode, { status: number; trpc: TRPC_ERROR_CODE_KEY }>> = {
  VALIDATION_ERROR: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  MALFORMED_JSON: { status: 400, trpc: 'PARSE_ERROR' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, trpc: 'UNSUPPORTED_MEDIA_TYPE' },
  EVENT_INVALID_TYPE: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  EVENT_INVALID_FEE: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  EVENT_ID_CONFLICT: { status: 409, trpc: 'CONFLICT' },
  RESTAURANT_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  RESTAURANT_ALREADY_EXISTS: { status: 409, trpc: 'CONFLICT' },
  PAYOUT_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  PAYOUT_RUN_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  PAYOUT_STATUS_CONFLICT: { status: 409, trpc: 'CONFLICT' },
  AMOUNT_OUT_OF_RANGE: { status: 409, trpc: 'CONFLICT' },
  CURSOR_INVALID: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  DISPUTE_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  DISPUTE_NOT_OPEN: { status: 409, trpc: 'CONFLICT' },
  DISPUTE_ALREADY_CLOSED: { status: 409, trpc: 'CONFLICT' },
  DISPUTE_ALREADY_EXISTS: { status: 409, trpc: 'CONFLICT' },
  DISPUTE_MISMATCH: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  DISPUTE_EXCEEDS_CHARGE: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  RECONCILIATION_FILE_INVALID: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  RECONCILIATION_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  SUBSCRIPTION_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  SUBSCRIPTION_DISABLED: { status: 409, trpc: 'CONFLICT' },
  SUBSCRIPTION_URL_NOT_ALLOWED: { status: 422, trpc: 'UNPROCESSABLE_CONTENT' },
  DELIVERY_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  ROUTE_NOT_FOUND: { status: 404, trpc: 'NOT_FOUND' },
  MALFORMED_REQUEST: { status: 400, trpc: 'BAD_REQUEST' },
  HEADERS_TOO_LARGE: { status: 431, trpc: 'BAD_REQUEST' },
  AUTH_REQUIRED: { status: 401, trpc: 'UNAUTHORIZED' },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, trpc: 'UNAUTHORIZED' },
  RATE_LIMITED: { status: 429, trpc: 'TOO_MANY_REQUESTS' },
  PAYLOAD_TOO_LARGE: { status: 413, trpc: 'PAYLOAD_TOO_LARGE' },
  SERVICE_UNAVAILABLE: { status: 503, trpc: 'SERVICE_UNAVAILABLE' },
  INTERNAL_ERROR: { status: 500, trpc: 'INTERNAL_SERVER_ERROR' },
};

/** Errors raised by the transport itself (before any procedure runs), by tRPC code. */
const TRANSPORT_ERRORS: Partial<Record<TRPC_ERROR_CODE_KEY, WireError>> = {
  PARSE_ERROR: new EdgeError('MALFORMED_JSON', 'The request body is not valid JSON'),
  UNSUPPORTED_MEDIA_TYPE: new EdgeError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'),
  PAYLOAD_TOO_LARGE: new EdgeError('PAYLOAD_TOO_LARGE', 'The request body is too large'),
  NOT_FOUND: new EdgeError('ROUTE_NOT_FOUND', 'No such route'),
  METHOD_NOT_SUPPORTED: new EdgeError('ROUTE_NOT_FOUND', 'No such route for this method'),
};

const INTERNAL = new LedgerError('INTERNAL_ERROR', 'Internal error');
const UNAVAILABLE = new LedgerError('SERVICE_UNAVAILABLE', 'The database is unavailable; retry shortly', {
  reason: 'database_unreachable',
});
const TIMED_OUT = new LedgerError('SERVICE_UNAVAILABLE', 'The database did not answer in time; retry shortly', {
  reason: 'database_timeout',
});
/** Seconds a client should wait before retrying a 503: outages seen by the fault suite last a few. */
const RETRY_AFTER_SECONDS = 1;
const UNSTORABLE = new LedgerError('VALIDATION_ERROR', 'A value in the request cannot be stored', {
  issues: [{ field: '(body)', message: 'a value was refused by the database' }],
});

/**
 * What JSON.parse throws. Only parsing throws SyntaxError at run time (code that does not parse
 * fails at load), and every parse of client input (tRPC's `input` query and body, read lazily
 * inside the procedure call) is the client's malformed JSON.
 */
const UNPARSABLE = new EdgeError('MALFORMED_JSON', 'The request input is not valid JSON');
/** What decoding a path segment throws on bad percent-encoding (`%FF`, `%C0%AF`, `%ED%A0%80`). */
const UNDECODABLE_PATH = new LedgerError('VALIDATION_ERROR', 'A path segment is not valid percent-encoded UTF-8', {
  issues: [{ field: '(path)', message: 'not valid percent-encoded UTF-8' }],
});

/**
 * Whatever was thrown, by any layer (a procedure, tRPC, express, the body parser, path decoding,
 * the database driver), the error a client sees: a LedgerError (core's codes) or an EdgeError. Anything unexpected becomes a bare
 * INTERNAL_ERROR: its message and stack go to the log, never to the client.
 */
export function toLedgerError(error: unknown): WireError {
  if (isWireError(error)) return error;
  if (error instanceof z.ZodError) return ledgerErrorFromZod(error);
  // Before SyntaxError: the body parser's own parse failure is one, with a more precise message.
  const fromBodyParser = bodyParserError(error);
  if (fromBodyParser !== undefined) return fromBodyParser;
  if (error instanceof SyntaxError) return UNPARSABLE;
  if (error instanceof URIError) return UNDECODABLE_PATH;
  if (isDatabaseUnavailable(error)) return UNAVAILABLE;
  if (isDatabaseTimeout(error)) return TIMED_OUT;
  if (isDataException(error)) return UNSTORABLE;
  if (error instanceof TRPCError) {
    if (error.cause !== undefined && error.cause !== error) {
      const fromCause = toLedgerError(error.cause);
      if (fromCause !== INTERNAL) return fromCause;
    }
    return TRANSPORT_ERRORS[error.code] ?? INTERNAL;
  }
  return INTERNAL;
}

export function toTRPCError(error: WireError): TRPCError {
  return new TRPCError({ code: ERROR_HTTP[error.code].trpc, message: error.message, cause: error });
}

export const errorBodySchema = z
  .object({
    code: z.enum(WIRE_ERROR_CODES),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).meta({ description: 'Machine-readable context; for VALIDATION_ERROR, `issues` names each field' }),
  })
  .meta({ id: 'ErrorBody' });

export interface ErrorBody {
  code: WireErrorCode;
  message: string;
  details: Readonly<Record<string, unknown>>;
}

/** What a client sees of an error. An internal error never shows its message or details. */
export function errorBody(error: WireError): ErrorBody {
  if (error.code === 'INTERNAL_ERROR') return { code: 'INTERNAL_ERROR', message: INTERNAL.message, details: {} };
  return { code: error.code, message: error.message, details: error.details };
}

/** Headers an error response carries besides the envelope. */
export function errorHeaders(error: WireError): Record<string, string> {
  if (error.code === 'AUTH_REQUIRED') return { 'www-authenticate': 'Bearer realm="restaurant-ledger"' };
  if (error.code === 'SERVICE_UNAVAILABLE') return { 'retry-after': String(RETRY_AFTER_SECONDS) };
  return {};
}
