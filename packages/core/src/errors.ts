/**
 * The closed set of error codes the ledger's rules can return. The edge (apps/server) maps each one
 * to an HTTP status and a tRPC code in a single table, and adds codes of its own for failures of
 * the HTTP exchange (malformed JSON, auth, rate limits, body size); nothing in core knows about HTTP.
 */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
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
  'DISPUTE_NOT_FOUND',
  'DISPUTE_NOT_OPEN',
  'DISPUTE_ALREADY_CLOSED',
  'DISPUTE_ALREADY_EXISTS',
  'DISPUTE_MISMATCH',
  'DISPUTE_EXCEEDS_CHARGE',
  'RECONCILIATION_FILE_INVALID',
  'RECONCILIATION_NOT_FOUND',
  'SUBSCRIPTION_NOT_FOUND',
  'SUBSCRIPTION_DISABLED',
  'SUBSCRIPTION_URL_NOT_ALLOWED',
  'DELIVERY_NOT_FOUND',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Readonly<Record<string, unknown>>;

/** An expected failure with a stable code from a closed set, and machine-readable details. */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

/** An expected failure of a ledger rule. Throwing one inside a unit of work rolls it back. */
export class LedgerError extends CodedError<ErrorCode> {
  override readonly name = 'LedgerError';
}

export function isLedgerError(value: unknown): value is LedgerError {
  return value instanceof LedgerError;
}
