import { CodedError, ERROR_CODES, type ErrorCode, LedgerError } from '@restaurant-ledger/core';

/**
 * Codes only the HTTP edge raises: failures of the exchange itself (its bytes, headers, route,
 * credentials, rate), never of a ledger rule. Core's `ERROR_CODES` are the domain's; a client sees
 * both, so the wire's closed set is their union (WIRE_ERROR_CODES).
 */
export const EDGE_ERROR_CODES = [
  'MALFORMED_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'ROUTE_NOT_FOUND',
  'MALFORMED_REQUEST',
  'HEADERS_TOO_LARGE',
  'AUTH_REQUIRED',
  'WEBHOOK_SIGNATURE_INVALID',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
] as const;

export type EdgeErrorCode = (typeof EDGE_ERROR_CODES)[number];

/** Every code a client can receive, REST or tRPC: the envelope's enum, the SDK's union. */
export type WireErrorCode = ErrorCode | EdgeErrorCode;
export const WIRE_ERROR_CODES: readonly [WireErrorCode, ...WireErrorCode[]] = [...ERROR_CODES, ...EDGE_ERROR_CODES];

/** A failure of the HTTP exchange, raised in apps/server only; answered like a LedgerError. */
export class EdgeError extends CodedError<EdgeErrorCode> {
  override readonly name = 'EdgeError';
}

/** What the edge answers with: a domain error from core, or one of its own. */
export type WireError = LedgerError | EdgeError;

export function isWireError(value: unknown): value is WireError {
  return value instanceof LedgerError || value instanceof EdgeError;
}
