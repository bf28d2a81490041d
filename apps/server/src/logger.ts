import { type DestinationStream, pino, type Logger } from 'pino';

/** Credentials a log line must never show, wherever a logged object carries headers. */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  '["webhook-signature"]',
  'headers.authorization',
  'headers.cookie',
  'headers["webhook-signature"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["webhook-signature"]',
];

export const LOG_LEVEL_DEFAULT = 'info';

/**
 * Structured JSON logs on stdout. No line shows request bodies (the request summary names the
 * route, status and error code only; driver errors lose their query parameters), and credential
 * headers are redacted should anything log headers.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? LOG_LEVEL_DEFAULT, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'restaurant-ledger' },
    serializers: { err: serializeError },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** Error fields worth logging. Driver errors also carry query parameters (whole payloads): dropped. */
const ERROR_FIELDS = ['code', 'routine', 'constraint', 'table', 'column', 'severity'] as const;

export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields = error as Error & Partial<Record<(typeof ERROR_FIELDS)[number], unknown>>;
  const kept = Object.fromEntries(ERROR_FIELDS.filter((key) => fields[key] !== undefined).map((key) => [key, fields[key]]));
  return {
    type: error.name,
    message: error.message,
    ...kept,
    stack: error.stack,
    ...(error.cause !== undefined && error.cause !== error && { cause: serializeError(error.cause) }),
  };
}
