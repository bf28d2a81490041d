import { readFileSync, writeFileSync } from 'node:fs';
import { listProcedures } from '../../../apps/server/src/router.ts';
import { generateRouterSource, type ProcedureSummaries } from './router-types.ts';

/**
 * Writes packages/client/src/generated/router.ts (committed: the published SDK's types, reviewed
 * like code); with --check, fails when the committed file differs from what the server generates.
 */
export const GENERATED_ROUTER = new URL('../src/generated/router.ts', import.meta.url);

export function currentRouterSource(): string {
  const summaries: ProcedureSummaries = new Map(
    listProcedures().flatMap(({ path, meta }) => (meta?.openapi?.summary === undefined ? [] : [[path, meta.openapi.summary] as const])),
  );
  return generateRouterSource(summaries);
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const generated = currentRouterSource();
  if (process.argv.includes('--check')) {
    if (readFileSync(GENERATED_ROUTER, 'utf8') !== generated) {
      console.error('packages/client/src/generated/router.ts is out of date: run `pnpm --filter @restaurant-ledger/client router:generate`.');
      process.exit(1);
    }
    console.log('packages/client/src/generated/router.ts is up to date');
  } else {
    writeFileSync(GENERATED_ROUTER, generated);
    console.log('wrote packages/client/src/generated/router.ts');
  }
}
