import { eventsRouter } from './routers/events.router.ts';
import { payoutsRouter } from './routers/payouts.router.ts';
import { reportsRouter } from './routers/reports.router.ts';
import { restaurantsRouter } from './routers/restaurants.router.ts';
import { router } from './trpc.ts';

export const appRouter = router({
  events: eventsRouter,
  restaurants: restaurantsRouter,
  payouts: payoutsRouter,
  reports: reportsRouter,
});

/** The SDK's only view of the server: `import type { AppRouter }`. */
export type AppRouter = typeof appRouter;
