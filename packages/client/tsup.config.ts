import { defineConfig } from 'tsup';

/**
 * ESM JavaScript and one bundled .d.ts. The router type comes from src/generated/router.ts,
 * which names nothing of the server, so the declarations need only @trpc/client and @trpc/server.
 */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'neutral',
  dts: { compilerOptions: { allowImportingTsExtensions: true, noEmit: false, exactOptionalPropertyTypes: true } },
  clean: true,
  treeshake: true,
});
