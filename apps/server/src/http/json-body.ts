import { LedgerError } from '@restaurant-ledger/core';
import express, { type ErrorRequestHandler } from 'express';
import { requestState } from './request-context.ts';

/** Largest request body accepted. A single event is at most ~17 KiB (16 KiB metadata). */
export const BODY_BYTES_MAX = 1024 * 1024;

/** Parses JSON bodies (objects and arrays only) and keeps the raw bytes for signature checks. */
export const jsonBody = express.json({
  limit: BODY_BYTES_MAX,
  strict: true,
  verify: (req, _res, buffer) => {
    requestState(req as express.Request).rawBody = buffer;
  },
});

interface BodyParserError {
  type?: unknown;
  status?: unknown;
}

/** What body-parser's failures mean for a client; anything else is not a body problem. */
export function bodyParserError(error: unknown): LedgerError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type } = error as BodyParserError;
  switch (type) {
    case 'entity.parse.failed':
      return new LedgerError('MALFORMED_JSON', 'The request body is not valid JSON (or not an object or array)');
    case 'entity.too.large':
      return new LedgerError('PAYLOAD_TOO_LARGE', `The request body exceeds ${BODY_BYTES_MAX} bytes`, {
        limit_bytes: BODY_BYTES_MAX,
      });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new LedgerError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 application/json');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new LedgerError('MALFORMED_JSON', 'The request body could not be read');
    default:
      return undefined;
  }
}

export type { ErrorRequestHandler };

/**
 * REST bodies must be JSON objects. (express.json already refuses bare strings and numbers; the
 * bridge would spread an array into an object with keys "0", "1", … and confuse every message.)
 */
export const requireObjectBody: express.RequestHandler = (req, _res, next) => {
  if (Array.isArray(req.body)) {
    next(
      new LedgerError('VALIDATION_ERROR', 'The request body must be a JSON object', {
        issues: [{ field: '(body)', message: 'expected a JSON object, received an array' }],
      }),
    );
    return;
  }
  next();
};
