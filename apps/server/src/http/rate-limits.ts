import { createHash } from 'node:crypto';
import { claimRateLimit, deleteEndedRateLimitWindows, type LedgerDb } from '@restaurant-ledger/core';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { RateLimits } from '../edge-limits.ts';
import { EdgeError, type WireError } from '../edge-errors.ts';
import { toLedgerError } from '../errors.ts';
import { sendError } from './envelope.ts';
import { requestState } from './request-context.ts';
import { type BudgetDecision, SharedBudget } from './shared-budget.ts';
import { sendTrpcError } from './trpc-errors.ts';

/** Which limiter counted the request, as named in the RATE_LIMITED details and the RateLimit header. */
type Scope = 'api_key' | 'ip' | 'webhook_ip';

export interface RateLimiters {
  /** API routes (REST and tRPC): per API key, and per IP whatever the keys. */
  api: RequestHandler;
  /** The processor's webhook routes: per IP, with their own (higher) limit. */
  webhook: RequestHandler;
}

/** One limit applied to a request: its budget, and how the request names its client ('' skips it). */
interface Check {
  scope: Scope;
  budget: SharedBudget;
  clientKey(req: Request): string;
}

/**
 * Rate limits whose counters live in PostgreSQL (the `rate_limit_windows` table), so one budget
 * holds across every worker and replica sharing the database (docs/adr/0005-cluster-and-shared-rate-limits.md).
 * Each server claims a client's budget in slices (SharedBudget), so the database sees one statement
 * per slice. Over the limit, a request is answered 429 RATE_LIMITED with `Retry-After` (seconds) and
 * the draft-8 `RateLimit` / `RateLimit-Policy` headers, before its body is read. A limit of 0 is off.
 * When the counter cannot be reached, the request is refused 503 SERVICE_UNAVAILABLE (fail closed:
 * every route behind a limit needs that database anyway).
 */
export function createRateLimiters(limits: RateLimits, logger: Logger, db: LedgerDb): RateLimiters {
  const afterClaim = housekeeping(db, limits.windowMs, logger);
  const check = (scope: Scope, limit: number, clientKey: (req: Request) => string): Check[] =>
    limit === 0
      ? []
      : [{ scope, clientKey, budget: new SharedBudget({ scope, limit, windowMs: limits.windowMs, claim: (request) => claimRateLimit(db, request), afterClaim }) }];
  return {
    api: limiter([...check('api_key', limits.perApiKey, apiKeyDigest), ...check('ip', limits.perIp, clientIp)], logger),
    webhook: limiter(check('webhook_ip', limits.webhookPerIp, clientIp), logger),
  };
}

/** Runs the checks in order; the first that refuses answers, and the later ones are not counted. */
function limiter(checks: readonly Check[], logger: Logger): RequestHandler {
  if (checks.length === 0) return (_req, _res, next) => next();
  return (req, res, next) => {
    admit(checks, req, res).then(
      (refusal) => (refusal === undefined ? next() : answer(req, res, refusal)),
      (error: unknown) => {
        const wire = toLedgerError(error);
        requestState(req).log.error({ err: error }, 'rate limit counter not reached: request refused');
        answer(req, res, wire);
      },
    );
  };
}

async function admit(checks: readonly Check[], req: Request, res: Response): Promise<WireError | undefined> {
  for (const { scope, budget, clientKey } of checks) {
    const key = clientKey(req);
    if (key === '') continue;
    const decision = await budget.take(key);
    setHeaders(res, scope, budget, decision);
    if (!decision.admitted) return refusal(res, scope, budget, decision);
  }
  return undefined;
}

/** The draft-8 headers express-rate-limit wrote, one pair per limit applied. */
function setHeaders(res: Response, scope: Scope, budget: SharedBudget, decision: BudgetDecision): void {
  const { limit, windowMs } = budget.options;
  res.append('RateLimit', `"${scope}"; r=${decision.remaining}; t=${Math.ceil(decision.resetMs / 1000)}`);
  res.append('RateLimit-Policy', `"${scope}"; q=${limit}; w=${Math.ceil(windowMs / 1000)}; pk=:${decision.partition}:`);
}

function refusal(res: Response, scope: Scope, budget: SharedBudget, decision: BudgetDecision): WireError {
  const { limit, windowMs } = budget.options;
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
  res.setHeader('Retry-After', String(retryAfterSeconds));
  return new EdgeError('RATE_LIMITED', `Too many requests: at most ${limit} per ${windowMs / 1000} s (${scope}); retry in ${retryAfterSeconds} s`, {
    scope,
    limit,
    window_ms: windowMs,
    retry_after_s: retryAfterSeconds,
  });
}

function answer(req: Request, res: Response, error: WireError): void {
  const state = requestState(req);
  state.ledgerError = error;
  // The SDK speaks tRPC: answer its routes in tRPC's error shape so it throws a typed error.
  if (req.baseUrl === '/trpc') sendTrpcError(res, error);
  else sendError(res, error, state.id);
}

/** After a claim, at most once a window per server: delete the windows that have ended. */
function housekeeping(db: LedgerDb, windowMs: number, logger: Logger): () => void {
  let lastRunAt = 0;
  return () => {
    const now = Date.now();
    if (now - lastRunAt < windowMs) return;
    lastRunAt = now;
    deleteEndedRateLimitWindows(db).catch((error: unknown) => logger.warn({ err: error }, 'ended rate-limit windows not deleted; the next window tries again'));
  };
}

/** The client's address (through LEDGER_TRUST_PROXY), IPv6 grouped by /56 as express-rate-limit did. */
function clientIp(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/** The presented key's digest: the store never holds a key, and any key counts (wrong keys too). */
function apiKeyDigest(req: Request): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1] === undefined ? '' : createHash('sha256').update(match[1]).digest('base64url');
}
