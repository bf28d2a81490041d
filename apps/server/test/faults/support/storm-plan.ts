import type { DeliveryRoute, Shot } from './deliveries.ts';
import { type ModelEvent, shuffled } from './ledger-model.ts';

export interface StormMix {
  route: DeliveryRoute;
  /** The fraction of deliveries sent by this route; the shares of a mix add up to 1. */
  share: number;
}

/**
 * Every event `copies` times, shuffled, then dealt to the routes of the mix by their shares. A
 * route that carries several events per request (the batch route) gets its deliveries in
 * consecutive runs of `eventsMax`, so a batch holds whatever the shuffle put next to each other:
 * duplicates of one event in one batch included.
 */
export function planStorm(events: readonly ModelEvent[], options: { copies: number; mix: readonly StormMix[]; seed: number }): Shot[] {
  const deliveries = shuffled(
    events.flatMap((event) => Array.from({ length: options.copies }, () => event)),
    options.seed,
  );
  const shares = options.mix.reduce((sum, part) => sum + part.share, 0);
  if (Math.abs(shares - 1) > 1e-9) throw new Error(`the shares of a storm mix must add up to 1, not ${shares}`);
  const shots: Shot[] = [];
  let start = 0;
  options.mix.forEach((part, index) => {
    const end = index === options.mix.length - 1 ? deliveries.length : start + Math.round(deliveries.length * part.share);
    const mine = deliveries.slice(start, end);
    for (let i = 0; i < mine.length; i += part.route.eventsMax) shots.push({ route: part.route, events: mine.slice(i, i + part.route.eventsMax) });
    start = end;
  });
  // Interleave the routes' requests, so single and batch deliveries of one event race each other.
  return shuffled(shots, options.seed + 1);
}
