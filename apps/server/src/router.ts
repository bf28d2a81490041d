import { disputesRouter } from './routers/disputes.router.ts';
import { eventsRouter } from './routers/events.router.ts';
import { ledgerRouter } from './routers/ledger.router.ts';
import { payoutsRouter } from './routers/payouts.router.ts';
import { reconciliationsRouter } from './routers/reconciliations.router.ts';
import { reportsRouter } from './routers/reports.router.ts';
import { restaurantsRouter } from './routers/restaurants.router.ts';
import { subscriptionsRouter } from './routers/subscriptions.router.ts';
import { type LedgerMeta, router } from './trpc.ts';

export const appRouter = router({
  events: eventsRouter,
  restaurants: restaurantsRouter,
  payouts: payoutsRouter,
  reports: reportsRouter,
  disputes: disputesRouter,
  reconciliations: reconciliationsRouter,
  ledger: ledgerRouter,
  subscriptions: subscriptionsRouter,
});

/** The SDK's only view of the server: `import type { AppRouter }`. */
export type AppRouter = typeof appRouter;

/** Every procedure's dotted path and metadata (for the OpenAPI document and the metrics' route names). */
export function listProcedures(): Array<{ path: string; meta: LedgerMeta | undefined }> {
  const procedures = appRouter._def.procedures as Record<string, unknown>;
  return Object.entries(procedures).map(([path, procedure]) => ({ path, meta: (procedure as { _def: { meta?: LedgerMeta } })._def.meta }));
}
