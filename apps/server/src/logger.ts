import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs on stdout. Authorization and signature headers are never logged, and
 * neither are request bodies.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'restaurant-ledger' },
    redact: ['req.headers.authorization', 'req.headers["webhook-signature"]'],
  });
}
