import { LedgerError } from '@restaurant-ledger/core';
import type { Request, RequestHandler } from 'express';
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
  const queryStart = req.originalUrl.indexOf('?');
  const names = queryStart === -1 ? [] : [...new URLSearchParams(req.originalUrl.slice(queryStart + 1)).keys()];
  next(refusedNames(req, names));
};

/** Body keys, once the body is parsed and known to be an object (after checkBodyShape). */
export const checkBodyNames: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  next(typeof body === 'object' && body !== null ? refusedNames(req, Object.keys(body)) : undefined);
};

function refusedNames(req: Request, names: readonly string[]): LedgerError | undefined {
  if (names.length === 0) return undefined;
  // HEAD runs the GET route (see app.ts); originalUrl, as the prefix of app.use('/v1') is cut from req.path.
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const pathParameters = new Set(findRestRoute(method, req.originalUrl.split('?')[0] ?? '')?.route.parameters);
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
