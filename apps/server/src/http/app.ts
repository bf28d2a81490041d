import type { RequestListener } from 'node:http';
import { LedgerError, type LedgerContext } from '@restaurant-ledger/core';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import swaggerUi from 'swagger-ui-express';
import type { EdgeLimits } from '../edge-limits.ts';
import { EdgeError } from '../edge-errors.ts';
import { toLedgerError } from '../errors.ts';
import { buildOpenApiDocument } from '../openapi.ts';
import { appRouter } from '../router.ts';
import { noteFailure, respond, sendError } from './envelope.ts';
import { checkBodyNames, checkQueryNames } from './input-names.ts';
import { checkBodyShape, contentTypeGuard, csvBody, jsonBody } from './json-body.ts';
import { createRateLimiters, type RateLimiters } from './rate-limits.ts';
import { serveHotRoutesFirst } from './hot-edge.ts';
import { createRequestContext, type EdgeChecks, restRoutes } from './rest-routes.ts';
import { statementCsv } from './statement-csv.ts';
import { consoleRoutes } from './console.ts';
import { hotRoutes } from './hot-routes.ts';
import { requestContext, requestState } from './request-context.ts';

export interface AppDependencies {
  ledger: LedgerContext;
  checks: EdgeChecks;
  logger: Logger;
  limits: EdgeLimits;
  /** Express's `trust proxy` (which X-Forwarded-For hops give the client IP); default off. */
  trustProxy?: boolean | number | string;
  /** Resolves when the database answers; rejects (or resolves false) when it does not. */
  isDatabaseReachable(): Promise<boolean>;
  /** True once a graceful shutdown began: /ready then answers 503 so load balancers stop sending work. */
  isDraining?(): boolean;
  /**
   * Serve the two hot routes straight from node:http, in front of express (hot-edge.ts; default
   * true). Off, express serves them (hot-routes.ts): the reference the parity test compares with.
   */
  hotEdge?: boolean;
}

/** The HTTP app: the express app, and the listener a server runs (the hot routes first, then express). */
export interface LedgerHttpApp {
  express: Express;
  listener: RequestListener;
}

/**
 * The HTTP app, with the hot routes served ahead of express (hot-edge.ts) unless `deps.hotEdge`
 * is false. Serve `listener`, not the express app.
 */
export function createApp(deps: AppDependencies): LedgerHttpApp {
  const limiters = createRateLimiters(deps.limits.rateLimits, deps.logger, deps.ledger.db);
  const app = createExpressApp(deps, limiters);
  if (deps.hotEdge === false) return { express: app, listener: app };
  return { express: app, listener: serveHotRoutesFirst(app, { ...deps, limiters }) };
}

/**
 * The HTTP edge: REST routes (OpenAPI, enveloped) under /v1, the tRPC endpoint for the SDK under
 * /trpc, health, readiness and metrics, the API docs and the ops console. No business rule lives here.
 */
function createExpressApp(deps: AppDependencies, limiters: RateLimiters): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(requestContext(deps.logger, deps.checks.metrics));
  // What every REST route with a body runs before its procedure, in this order.
  const bodyChecks = [contentTypeGuard, csvBody(deps.limits), jsonBody(deps.limits), checkBodyShape, checkBodyNames];
  // The busiest routes first, past everything else: the same checks, fewer hands (hot-routes.ts).
  app.use(
    hotRoutes(deps.ledger, deps.checks, {
      webhook: [limiters.webhook, checkQueryNames, ...bodyChecks],
      api: [limiters.api, checkQueryNames, ...bodyChecks],
    }),
  );

  app.get('/health', (req, res) => {
    respond(res, requestState(req).id, { status: 200, data: { status: 'ok' } });
  });
  app.get('/ready', readiness(deps));
  app.get('/metrics', metricsRoute(deps.checks));

  const openApiDocument = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(undefined, { swaggerOptions: { url: '/openapi.json', validatorUrl: null }, customCss: '' }));
  // The read-only ops console (static files; its data comes from the GET routes below, with a key).
  app.use(consoleRoutes(deps.checks));

  app.use(
    '/trpc',
    limiters.api,
    createExpressMiddleware({
      router: appRouter,
      // tRPC reads bodies itself: without a bound it would read any size.
      maxBodySize: deps.limits.batchBodyBytesMax,
      createContext: ({ req }) => createRequestContext(deps.ledger, deps.checks, req, 'trpc'),
      onError: ({ error, req }) => {
        const ledgerError = toLedgerError(error);
        if (ledgerError.code === 'INTERNAL_ERROR' || ledgerError.code === 'SERVICE_UNAVAILABLE') {
          requestState(req as express.Request).log.error({ err: error.cause ?? error }, 'request failed');
        }
      },
    }),
  );

  // Counted before the body is read. The processor's webhooks have their own, higher budget.
  app.use('/v1', (req, res, next) => (req.path.startsWith('/processor/') ? limiters.webhook : limiters.api)(req, res, next));
  app.use('/v1', checkQueryNames);
  app.get('/v1/restaurants/:restaurant_id/statement', statementCsv(deps.ledger, deps.checks));
  // Not app.use('/v1', …): that strips the prefix, and the REST routes match full paths.
  app.all(
    /^\/v1\//,
    headAsGet,
    ...bodyChecks,
    restRoutes(deps.ledger, deps.checks),
  );

  app.use(notFound);
  app.use(lastResort);
  return app;
}

/** 200 while the database answers within the ready timeout and the server is not shutting down. */
function readiness(deps: AppDependencies): RequestHandler {
  return async (req, res) => {
    const { id, log } = requestState(req);
    if (deps.isDraining?.() === true) {
      sendError(res, new LedgerError('SERVICE_UNAVAILABLE', 'The server is shutting down', { reason: 'draining' }), id);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deps.limits.readyTimeoutMs);
    });
    const reachable = await Promise.race([deps.isDatabaseReachable(), timedOut])
      .catch((error: unknown) => {
        log.warn({ err: error }, 'readiness check failed');
        return false;
      })
      .finally(() => clearTimeout(timer));
    if (reachable) respond(res, id, { status: 200, data: { status: 'ready', database: 'reachable' } });
    else sendError(res, new LedgerError('SERVICE_UNAVAILABLE', 'The database is unreachable', { reason: 'database' }), id);
  };
}

/** Prometheus text format. Behind the API key when keys are configured (give Prometheus one). */
function metricsRoute(checks: EdgeChecks): RequestHandler {
  return async (req, res, next) => {
    try {
      checks.checkApiKey(req.headers);
      res.type(checks.metrics.registry.contentType).send(await checks.metrics.scrape());
    } catch (error) {
      next(error);
    }
  };
}

/**
 * HEAD runs the GET route (auth, lookups, status) and Node drops the body. Without this the old bridge
 * answered every HEAD with 204, before any check.
 */
const headAsGet: RequestHandler = (req, _res, next) => {
  if (req.method === 'HEAD') req.method = 'GET';
  next();
};

const notFound: RequestHandler = (req, res) => {
  sendError(res, new EdgeError('ROUTE_NOT_FOUND', `No route ${req.method} ${req.path}`), requestState(req).id);
};

/** Body-parser failures and anything unexpected, always in the envelope; internals only in the log. */
const lastResort: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const state = requestState(req);
  const ledgerError = noteFailure(state, error);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendError(res, ledgerError, state.id);
};
