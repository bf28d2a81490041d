import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs on stdout. Authorization and signature headers are never logged, and
 * neither are request bodies.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'restaurant-ledger' },
    serializers: { err: serializeError },
  });
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
