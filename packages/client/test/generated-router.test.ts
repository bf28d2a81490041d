import { readFileSync } from 'node:fs';
import type { AppRouter as ServerRouter } from '@restaurant-ledger/server';
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { currentRouterSource, GENERATED_ROUTER } from '../scripts/generate-router.ts';
import type { AppRouter as GeneratedRouter } from '../src/generated/router.ts';

describe('the generated router type', () => {
  it('is what the server router generates today (run `pnpm --filter @restaurant-ledger/client router:generate` if not)', () => {
    expect(readFileSync(GENERATED_ROUTER, 'utf8')).toBe(currentRouterSource());
  });

  it('names nothing of the server: only @trpc/server types are imported', () => {
    const imports = readFileSync(GENERATED_ROUTER, 'utf8').match(/from '[^']+'/g);
    expect(imports).toEqual(["from '@trpc/server'"]);
  });

  // Checked by `pnpm typecheck` (this file is in the client's tsconfig); vitest runs them as no-ops.
  it('gives callers the same inputs, outputs and error shape as the server router', () => {
    expectTypeOf<inferRouterInputs<GeneratedRouter>>().toEqualTypeOf<inferRouterInputs<ServerRouter>>();
    expectTypeOf<inferRouterOutputs<GeneratedRouter>>().toEqualTypeOf<inferRouterOutputs<ServerRouter>>();
    expectTypeOf<inferRouterError<GeneratedRouter>>().toEqualTypeOf<inferRouterError<ServerRouter>>();
  });
});
