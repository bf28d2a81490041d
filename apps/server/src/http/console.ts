import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';
import { EdgeError } from '../edge-errors.ts';
import type { EdgeChecks } from './rest-routes.ts';

/** Where `pnpm install` (apps/console's postinstall) builds the console: apps/console/dist. */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

/**
 * Only this origin, for everything: the console's script, styles and API calls are all served
 * here, none inline. `form-action 'self'` and `base-uri 'none'` close the remaining ways to send
 * the key elsewhere; `frame-ancestors 'none'` keeps the page out of other sites' frames.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite names each built asset by its content hash, so a given URL never changes. */
const ASSET_MAX_AGE_S = 365 * 24 * 60 * 60;

/**
 * The read-only ops console at /console/: the static page built by apps/console, which reads the
 * JSON API with the API key the user signs in with. Serving it needs no key (it holds no data);
 * every number it shows comes from an authenticated GET. /console/config.json tells it whether
 * the server has keys at all.
 */
export function consoleRoutes(checks: Pick<EdgeChecks, 'checkApiKey'>, distDir: string = CONSOLE_DIST_DIR): Router {
  const routes = express.Router({ strict: true });
  routes.use('/console', securityHeaders);
  routes.get('/console', (_req, res) => res.redirect(301, '/console/'));
  routes.get('/console/config.json', (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.json({ api_key_required: apiKeyRequired(checks) });
  });
  if (!existsSync(join(distDir, 'index.html'))) {
    routes.use('/console', (_req, _res, next) => {
      next(new EdgeError('ROUTE_NOT_FOUND', 'The console is not built: run pnpm install (or pnpm --filter @restaurant-ledger/console build)'));
    });
    return routes;
  }
  routes.use(
    '/console',
    express.static(distDir, {
      index: 'index.html',
      redirect: false,
      fallthrough: true,
      setHeaders: (res, path) => {
        const hashed = path.startsWith(join(distDir, 'assets'));
        res.setHeader('cache-control', hashed ? `public, max-age=${ASSET_MAX_AGE_S}, immutable` : 'no-cache');
      },
    }),
  );
  return routes;
}

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  next();
};

/** The key check refuses a request with no Authorization header exactly when keys are configured. */
function apiKeyRequired(checks: Pick<EdgeChecks, 'checkApiKey'>): boolean {
  try {
    checks.checkApiKey({});
    return false;
  } catch {
    return true;
  }
}
