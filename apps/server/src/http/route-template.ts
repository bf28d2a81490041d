import type { Request } from 'express';
import { listProcedures } from '../router.ts';

/** A REST route of the router: its method, template (e.g. GET /v1/payouts/{payout_id}) and procedure. */
export interface RestRoute {
  method: string;
  template: string;
  /** The procedure's dotted path, e.g. `payouts.get`. */
  procedure: string;
  /** The template's parameter names, in order. */
  parameters: readonly string[];
  /** Matches a path; group i + 1 is parameters[i], still percent-encoded. */
  pattern: RegExp;
  /** The body's media type (POST, PATCH): application/json, or text/csv for a settlement report. */
  mediaType: 'application/json' | 'text/csv';
}

/** Every REST route of the router, the one table both the REST handler and the metrics' labels use. */
const REST_ROUTES: readonly RestRoute[] = listProcedures().flatMap(({ path: procedure, meta }) => {
  const route = meta?.openapi;
  if (route === undefined) return [];
  return [
    {
      method: route.method,
      template: route.path,
      procedure,
      parameters: [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? ''),
      pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '([^/]+)')}/?$`),
      mediaType: meta?.requestMediaType ?? 'application/json',
    },
  ];
});

/** The route a method and path are for, with the path's match, or undefined. */
export function findRestRoute(method: string, path: string): { route: RestRoute; match: RegExpExecArray } | undefined {
  for (const route of REST_ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match !== null) return { route, match };
  }
  return undefined;
}

const PROCEDURES: ReadonlySet<string> = new Set(listProcedures().map(({ path }) => path));
const FIXED_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics', '/openapi.json']);

/**
 * The route a request was for, as a template: `/v1/restaurants/{restaurant_id}/balance`,
 * `/trpc/events.ingest`, `/docs`, `/console`. Anything else is `(unmatched)`, so a scan of random URLs cannot
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
  if (path === '/console' || path.startsWith('/console/')) return '/console';
  // HEAD runs the GET route (see app.ts).
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  return findRestRoute(method, path)?.route.template ?? '(unmatched)';
}
