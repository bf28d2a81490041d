import type { RequestHandler } from 'express';

/** Runs middlewares one after the other, as one (none: passes straight on); the first error goes to `next`. */
export function inSequence(handlers: readonly RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    const run = (position: number): void => {
      const handler = handlers[position];
      if (handler === undefined) return next();
      void handler(req, res, (error?: unknown) => (error === undefined ? run(position + 1) : next(error)));
    };
    run(0);
  };
}
