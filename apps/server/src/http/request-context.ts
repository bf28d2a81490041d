import { randomUUID } from 'node:crypto';
import type { LedgerError } from '@restaurant-ledger/core';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

const INCOMING_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What the edge attaches to each request. */
export interface LedgerRequestState {
  id: string;
  log: Logger;
  /** The body bytes as received, kept by the JSON parser for signature checks. */
  rawBody?: Buffer;
  /** The error a REST route failed with, for the envelope. */
  ledgerError?: LedgerError;
}

const STATE = Symbol('ledger-request-state');
type WithState = Request & { [STATE]?: LedgerRequestState };

export function requestState(req: Request): LedgerRequestState {
  const state = (req as WithState)[STATE];
  if (state === undefined) throw new Error('requestContext middleware has not run');
  return state;
}

/**
 * Gives every request an id (the caller's `x-request-id` when it is sane, else a new UUID), echoes
 * it as a header, and logs one line per request with it.
 */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header('x-request-id');
    const id = incoming !== undefined && INCOMING_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ request_id: id });
    (req as WithState)[STATE] = { id, log };
    res.setHeader('x-request-id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const state = (req as WithState)[STATE];
      log.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          duration_ms: Math.round(durationMs * 100) / 100,
          ...(state?.ledgerError !== undefined && { error_code: state.ledgerError.code }),
        },
        'request',
      );
    });
    next();
  };
}
