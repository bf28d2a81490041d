/**
 * The closed set of error codes the ledger can return. The edge (apps/server) maps each one to an
 * HTTP status and a tRPC code in a single table; nothing in core knows about HTTP.
 */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'MALFORMED_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'EVENT_INVALID_TYPE',
  'EVENT_INVALID_FEE',
  'EVENT_ID_CONFLICT',
  'RESTAURANT_NOT_FOUND',
  'RESTAURANT_ALREADY_EXISTS',
  'PAYOUT_NOT_FOUND',
  'PAYOUT_RUN_NOT_FOUND',
  'PAYOUT_STATUS_CONFLICT',
  'AMOUNT_OUT_OF_RANGE',
  'CURSOR_INVALID',
  'ROUTE_NOT_FOUND',
  'MALFORMED_REQUEST',
  'HEADERS_TOO_LARGE',
  'AUTH_REQUIRED',
  'WEBHOOK_SIGNATURE_INVALID',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Readonly<Record<string, unknown>>;

/** An expected failure with a stable code. Throwing one inside a unit of work rolls it back. */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

export function isLedgerError(value: unknown): value is LedgerError {
  return value instanceof LedgerError;
}
