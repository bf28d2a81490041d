import { createHash } from 'node:crypto';
import { claimRateLimit, deleteEndedRateLimitWindows, type LedgerDb } from '@restaurant-ledger/core';
import type { ServerResponse } from 'node:http';
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
  /**
   * The same limits for a request served straight from node:http (hot-edge.ts): the refusal (or
   * the failure to reach the counter, logged) to answer with, or undefined to go on. Undefined
   * when every limit of the kind is off.
   */
  admit: { api: Admit | undefined; webhook: Admit | undefined };
}

/** What a limit reads of a request: its client's address (through `trust proxy`) and its credential. */
export interface RateLimitClient {
  ip(): string | undefined;
  remoteAddress: string | undefined;
  authorization: string | undefined;
}

/** Where the RateLimit headers go: an express response or a plain node:http one. */
type HeaderTarget = Pick<ServerResponse, 'getHeader' | 'setHeader'>;

export type Admit = (client: RateLimitClient, res: HeaderTarget, log: Logger) => Promise<WireError | undefined>;

/** One limit applied to a request: its budget, and how the request names its client ('' skips it). */
interface Check {
  scope: Scope;
  budget: SharedBudget;
  clientKey(client: RateLimitClient): string;
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
  const check = (scope: Scope, limit: number, clientKey: (client: RateLimitClient) => string): Check[] =>
    limit === 0
      ? []
      : [{ scope, clientKey, budget: new SharedBudget({ scope, limit, windowMs: limits.windowMs, claim: (request) => claimRateLimit(db, request), afterClaim }) }];
  const api = admitter([...check('api_key', limits.perApiKey, apiKeyDigest), ...check('ip', limits.perIp, clientIp)]);
  const webhook = admitter(check('webhook_ip', limits.webhookPerIp, clientIp));
  return { api: limiter(api), webhook: limiter(webhook), admit: { api, webhook } };
}

/**
 * Runs the checks in order; the first that refuses answers, and the later ones are not counted.
 * A counter that cannot be reached refuses too (logged here).
 */
function admitter(checks: readonly Check[]): Admit | undefined {
  if (checks.length === 0) return undefined;
  return async (client, res, log) => {
    try {
      for (const { scope, budget, clientKey } of checks) {
        const key = clientKey(client);
        if (key === '') continue;
        const decision = await budget.take(key);
        setHeaders(res, scope, budget, decision);
        if (!decision.admitted) return refusal(res, scope, budget, decision);
      }
      return undefined;
    } catch (error) {
      log.error({ err: error }, 'rate limit counter not reached: request refused');
      return toLedgerError(error);
    }
  };
}

/** The express middleware of a set of limits: on, or passing straight on when every limit is off. */
function limiter(admit: Admit | undefined): RequestHandler {
  if (admit === undefined) return (_req, _res, next) => next();
  return (req, res, next) => {
    void admit(expressClient(req), res, requestState(req).log).then((refusal) => (refusal === undefined ? next() : answer(req, res, refusal)));
  };
}

function expressClient(req: Request): RateLimitClient {
  return { ip: () => req.ip, remoteAddress: req.socket.remoteAddress, authorization: req.headers.authorization };
}

/** The draft-8 headers express-rate-limit wrote, one pair per limit applied (appended as express's res.append does). */
function setHeaders(res: HeaderTarget, scope: Scope, budget: SharedBudget, decision: BudgetDecision): void {
  const { limit, windowMs } = budget.options;
  append(res, 'RateLimit', `"${scope}"; r=${decision.remaining}; t=${Math.ceil(decision.resetMs / 1000)}`);
  append(res, 'RateLimit-Policy', `"${scope}"; q=${limit}; w=${Math.ceil(windowMs / 1000)}; pk=:${decision.partition}:`);
}

/** express's res.append: a second value makes the header a list, written as one line each. */
function append(res: HeaderTarget, name: string, value: string): void {
  const previous = res.getHeader(name);
  if (previous === undefined || previous === '') res.setHeader(name, value);
  else res.setHeader(name, Array.isArray(previous) ? [...previous, value] : [String(previous), value]);
}

function refusal(res: HeaderTarget, scope: Scope, budget: SharedBudget, decision: BudgetDecision): WireError {
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
function clientIp(client: RateLimitClient): string {
  return ipKeyGenerator(client.ip() ?? client.remoteAddress ?? 'unknown');
}

/** The presented key's digest: the store never holds a key, and any key counts (wrong keys too). */
function apiKeyDigest(client: RateLimitClient): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(client.authorization ?? '');
  return match?.[1] === undefined ? '' : createHash('sha256').update(match[1]).digest('base64url');
}
