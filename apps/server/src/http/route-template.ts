import type { Request } from 'express';
import { listProcedures } from '../router.ts';

interface RestRoute {
  method: string;
  pattern: RegExp;
  template: string;
}

/** Every REST route of the router as a matcher, e.g. GET /v1/payouts/{payout_id}. */
const REST_ROUTES: readonly RestRoute[] = listProcedures()
  .flatMap(({ meta }) => (meta?.openapi === undefined ? [] : [meta.openapi]))
  .map(({ method, path }) => ({
    method,
    template: path,
    pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
  }));

const PROCEDURES: ReadonlySet<string> = new Set(listProcedures().map(({ path }) => path));
const FIXED_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics', '/openapi.json']);

/**
 * The route a request was for, as a template: `/v1/restaurants/{restaurant_id}/balance`,
 * `/trpc/events.ingest`, `/docs`. Anything else is `(unmatched)`, so a scan of random URLs cannot
 * grow the metrics' label sets.
 */
export function routeTemplate(req: Request): string {
  const path = req.originalUrl.split('?')[0] ?? '';
  if (path.startsWith('/trpc/')) {
    const procedure = path.slice('/trpc/'.length);
    return PROCEDURES.has(procedure) ? `/trpc/${procedure}` : '/trpc/(unmatched)';
  }
  if (FIXED_ROUTES.has(path)) return path;
  if (path === '/docs' || path.startsWith('/docs/')) return '/docs';
  // HEAD runs the GET route (see app.ts).
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  return REST_ROUTES.find((route) => route.method === method && route.pattern.test(path))?.template ?? '(unmatched)';
}
