import { isUtf8 } from 'node:buffer';
import { BODY_DEPTH_MAX, findRoundedNumber, jsonDepthExceeds, LedgerError } from '@restaurant-ledger/core';
import express from 'express';
import { EdgeError } from '../edge-errors.ts';
import { notJson } from './body-parser-errors.ts';
import type { EdgeLimits } from '../edge-limits.ts';
import { requestState } from './request-context.ts';

/**
 * Media types are case-insensitive; the REST routes compare them exactly, so normalise first.
 * Only UTF-8 JSON is accepted: other charsets would make the stored raw payload differ from the
 * bytes the processor signed.
 */
export const contentTypeGuard: express.RequestHandler = (req, _res, next) => {
  const header = req.headers['content-type'];
  if (header === undefined) {
    // A POST with no body at all (mark processing) needs no content type; the REST routes would insist.
    const bodyless = req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';
    if (bodyless) req.headers['content-type'] = 'application/json';
    return next();
  }
  const { mediaType, charset } = parseContentType(header);
  if (charset !== undefined && !isUtf8Charset(charset)) {
    return next(new EdgeError('UNSUPPORTED_MEDIA_TYPE', `Send the body as UTF-8 application/json (charset=${charset} is not accepted)`));
  }
  req.headers['content-type'] = mediaType;
  // A settlement report is CSV only: a JSON body there is the wrong media type, not malformed JSON.
  if (req.method === 'POST' && req.path === RECONCILIATIONS_PATH && req.headers['content-type'] !== 'text/csv') {
    return next(new EdgeError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as text/csv'));
  }
  next();
};

/** A content-type header as the guard reads it: the media type (lower case) and the charset, if any. */
export function parseContentType(header: string): { mediaType: string; charset: string | undefined } {
  const [mediaType = '', ...parameters] = header.split(';').map((part) => part.trim());
  const charset = parameters.find((p) => p.toLowerCase().startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  return { mediaType: mediaType.toLowerCase(), charset };
}

/** The only charset a body may declare. */
export function isUtf8Charset(charset: string): boolean {
  return /^utf-?8$/i.test(charset);
}

/** The REST route that takes a CSV body instead of JSON. */
const RECONCILIATIONS_PATH = '/v1/reconciliations';

/** The REST route whose body may be larger than the others'. */
export const BATCH_WEBHOOK_PATH = '/v1/processor/events/batch';

/**
 * Parses JSON bodies (objects and arrays only), keeping the exact bytes for signature checks.
 * The batch webhook gets its own, larger limit; every other route the general one.
 */
export function jsonBody(limits: Pick<EdgeLimits, 'bodyBytesMax' | 'batchBodyBytesMax'>): express.RequestHandler {
  const parser = (limit: number) =>
    express.json({
      limit,
      strict: true,
      verify: (req, _res, buffer) => {
        if (!isUtf8(buffer)) throw notUtf8();
        requestState(req as express.Request).rawBody = buffer;
      },
    });
  const general = parser(limits.bodyBytesMax);
  const batch = parser(limits.batchBodyBytesMax);
  return (req, res, next) => (req.path === BATCH_WEBHOOK_PATH ? batch : general)(req, res, next);
}

const notUtf8 = (): EdgeError => new EdgeError('MALFORMED_JSON', 'The request body is not valid UTF-8');

/**
 * A JSON body's bytes, read whole, as jsonBody's parser takes them (for a request served straight
 * from node:http, hot-edge.ts): valid UTF-8 (a byte-order mark is dropped, as the parser's decoder
 * drops it), empty as `{}`, else an object or array (strict), else MALFORMED_JSON with the message
 * the parser's failures get (body-parser-errors.ts).
 * @throws EdgeError MALFORMED_JSON
 */
export function parseJsonBody(buffer: Buffer): unknown {
  if (!isUtf8(buffer)) throw notUtf8();
  let text = buffer.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  if (!/^[\x20\x09\x0a\x0d]*[[{]/.test(text)) throw notJson();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw notJson();
  }
}

/**
 * Reads a `text/csv` body (a settlement report, `POST /v1/reconciliations`) as bytes, up to its own
 * limit, into the request's raw body; the REST route hands its text to the procedure. Other bodies
 * pass untouched.
 */
export function csvBody(limits: Pick<EdgeLimits, 'reconciliationBodyBytesMax'>): express.RequestHandler {
  const parser = express.raw({ type: 'text/csv', limit: limits.reconciliationBodyBytesMax });
  return (req, res, next) => {
    if (req.headers['content-type'] !== 'text/csv') return next();
    parser(req, res, (error?: unknown) => {
      if (error !== undefined) return next(error);
      if (Buffer.isBuffer(req.body)) requestState(req).rawBody = req.body;
      req.body = undefined;
      next();
    });
  };
}

/**
 * REST bodies must be JSON objects, nested at most BODY_DEPTH_MAX levels, with no number that
 * parsing rounded. (express.json already refuses bare strings and numbers; spreading the input would turn
 * an array into an object with keys "0", "1", …; deep nesting would overflow the stack of code that
 * walks it recursively; and `12000.0000000000001` would arrive as 12000, money never rounded.)
 */
export const checkBodyShape: express.RequestHandler = (req, _res, next) => {
  // A CSV body is checked line by line by its own reader.
  if (req.headers['content-type'] === 'text/csv') return next();
  next(bodyShapeError(req.body, requestState(req).rawBody));
};

/** checkBodyShape's verdict on a parsed JSON body and its bytes. */
export function bodyShapeError(body: unknown, rawBody: Buffer | undefined): LedgerError | undefined {
  if (Array.isArray(body)) {
    return new LedgerError('VALIDATION_ERROR', 'The request body must be a JSON object', {
      issues: [{ field: '(body)', message: 'expected a JSON object, received an array' }],
    });
  }
  const rounded = findRoundedNumber(rawBody?.toString('utf8') ?? '');
  if (rounded !== undefined) {
    return new LedgerError('VALIDATION_ERROR', `The number ${rounded.slice(0, 40)} cannot be represented exactly`, {
      issues: [{ field: '(body)', message: `${rounded.slice(0, 40)} would be rounded: send whole numbers from -(2^53-1) to 2^53-1` }],
    });
  }
  if (jsonDepthExceeds(body, BODY_DEPTH_MAX)) {
    return new LedgerError('VALIDATION_ERROR', `The request body nests deeper than ${BODY_DEPTH_MAX} levels`, {
      issues: [{ field: '(body)', message: `may nest at most ${BODY_DEPTH_MAX} levels` }],
    });
  }
  return undefined;
}
