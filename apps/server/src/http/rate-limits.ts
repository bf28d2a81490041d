import { createHash } from 'node:crypto';
import { EdgeError } from '../edge-errors.ts';
import type { Request, RequestHandler, Response } from 'express';
import { type Options, rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { RateLimits } from '../edge-limits.ts';
import { sendError } from './envelope.ts';
import { requestState } from './request-context.ts';
import { sendTrpcError } from './trpc-errors.ts';
import { inSequence } from './in-sequence.ts';

/** Which limiter counted the request, as named in the RATE_LIMITED details and the RateLimit header. */
type Scope = 'api_key' | 'ip' | 'webhook_ip';

export interface RateLimiters {
  /** API routes (REST and tRPC): per API key, and per IP whatever the keys. */
  api: RequestHandler;
  /** The processor's webhook routes: per IP, with their own (higher) limit. */
  webhook: RequestHandler;
}

/**
 * Rate limits with express-rate-limit's in-process store: a limit holds per server process (use a
 * shared store, e.g. rate-limit-redis, when several replicas must share one budget). Over the
 * limit, a request is answered 429 RATE_LIMITED with `Retry-After` (seconds) and the draft-8
 * `RateLimit` / `RateLimit-Policy` headers, before its body is read. A limit of 0 is off.
 */
export function createRateLimiters(limits: RateLimits, logger: Logger): RateLimiters {
  const limiter = (scope: Scope, limit: number, extra: Partial<Options> = {}): RequestHandler[] =>
    limit === 0
      ? []
      : [
          rateLimit({
            windowMs: limits.windowMs,
            limit,
            identifier: scope,
            standardHeaders: 'draft-8',
            legacyHeaders: false,
            logger: { error: (error, message) => logger.error({ err: error }, message), warn: (error, message) => logger.warn({ err: error }, message) },
            handler: (req, res) => refuse(req, res, scope, limit, limits.windowMs),
            ...extra,
          }),
        ];
  return {
    api: inSequence([
      ...limiter('api_key', limits.perApiKey, { keyGenerator: apiKeyDigest, skip: (req) => apiKeyDigest(req) === '' }),
      ...limiter('ip', limits.perIp),
    ]),
    webhook: inSequence(limiter('webhook_ip', limits.webhookPerIp)),
  };
}

/** The presented key's digest: the store never holds a key, and any key counts (wrong keys too). */
function apiKeyDigest(req: Request): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] === undefined ? '' : createHash('sha256').update(match[1]).digest('base64url');
}

function refuse(req: Request, res: Response, scope: Scope, limit: number, windowMs: number): void {
  const retryAfterSeconds = Number(res.getHeader('retry-after') ?? Math.ceil(windowMs / 1000));
  const error = new EdgeError('RATE_LIMITED', `Too many requests: at most ${limit} per ${windowMs / 1000} s (${scope}); retry in ${retryAfterSeconds} s`, {
    scope,
    limit,
    window_ms: windowMs,
    retry_after_s: retryAfterSeconds,
  });
  const state = requestState(req);
  state.ledgerError = error;
  // The SDK speaks tRPC: answer its routes in tRPC's error shape so it throws a typed RATE_LIMITED.
  if (req.baseUrl === '/trpc') sendTrpcError(res, error);
  else sendError(res, error, state.id);
}
