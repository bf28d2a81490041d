import { LedgerError } from '@restaurant-ledger/core';
import type { RequestHandler } from 'express';
import { findRestRoute } from './route-template.ts';

/**
 * Names a route's strict schema cannot be trusted to see as they were sent. Copied into a plain
 * object, `__proto__` sets the prototype instead of a key (trpc-to-openapi's adapter lost it so),
 * and `constructor`/`prototype` name what every object already has. The path parameters are spread
 * over the query or body, so a body's `restaurant_id` would be overwritten by the path's without a
 * word. Each is refused here, before any copy, as any unknown field is.
 */
const NAMES_NO_OBJECT_CAN_HOLD: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Query names as sent (decoded), before anything copies them into an object. */
export const checkQueryNames: RequestHandler = (req, _res, next) => {
  next(refusedQueryNames(req.method, req.originalUrl));
};

/** Body keys, once the body is parsed and known to be an object (after checkBodyShape). */
export const checkBodyNames: RequestHandler = (req, _res, next) => {
  next(refusedBodyNames(req.method, req.originalUrl, req.body));
};

/** checkQueryNames's verdict on a request's method and URL as sent (`originalUrl`). */
export function refusedQueryNames(method: string, originalUrl: string): LedgerError | undefined {
  const queryStart = originalUrl.indexOf('?');
  if (queryStart === -1) return undefined;
  return refusedNames(method, originalUrl, [...new URLSearchParams(originalUrl.slice(queryStart + 1)).keys()]);
}

/** checkBodyNames's verdict on a parsed body. */
export function refusedBodyNames(method: string, originalUrl: string, body: unknown): LedgerError | undefined {
  return typeof body === 'object' && body !== null ? refusedNames(method, originalUrl, Object.keys(body)) : undefined;
}

function refusedNames(requestMethod: string, originalUrl: string, names: readonly string[]): LedgerError | undefined {
  if (names.length === 0) return undefined;
  // HEAD runs the GET route (see app.ts); originalUrl, as the prefix of app.use('/v1') is cut from req.path.
  const method = requestMethod === 'HEAD' ? 'GET' : requestMethod;
  const pathParameters = new Set(findRestRoute(method, originalUrl.split('?')[0] ?? '')?.route.parameters);
  const issues = [...new Set(names)].flatMap((field) =>
    NAMES_NO_OBJECT_CAN_HOLD.has(field)
      ? [{ field, message: 'unknown field' }]
      : pathParameters.has(field)
        ? [{ field, message: 'given by the path; it may not be sent again in the query or body' }]
        : [],
  );
  if (issues.length === 0) return undefined;
  return new LedgerError('VALIDATION_ERROR', `Invalid input: ${issues.map((issue) => issue.field).join(', ')}`, { issues });
}
