import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { Response } from 'express';
import { ERROR_HTTP, errorBody, errorHeaders } from '../errors.ts';
import type { WireError } from '../edge-errors.ts';

/**
 * Answers a /trpc request the edge refuses before tRPC sees it (a rate limit) in tRPC's own error
 * shape, the one the errorFormatter in trpc.ts gives, so the SDK throws a typed error with the code.
 */
export function sendTrpcError(res: Response, error: WireError): void {
  const { status, trpc } = ERROR_HTTP[error.code];
  res
    .status(status)
    .set(errorHeaders(error))
    .json({ error: { message: error.message, code: TRPC_ERROR_CODES_BY_KEY[trpc], data: { ...errorBody(error), httpStatus: status } } });
}
