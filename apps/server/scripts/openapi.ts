import { readFileSync, writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../src/openapi.ts';

/**
 * Writes the OpenAPI document to apps/server/openapi.json (committed, so API changes show up in
 * review); with --check, fails when the committed file differs from what the code generates.
 */
const target = new URL('../openapi.json', import.meta.url);
const generated = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  const committed = readFileSync(target, 'utf8');
  if (committed !== generated) {
    console.error('apps/server/openapi.json is out of date: run `pnpm openapi:generate` and commit it.');
    process.exit(1);
  }
  console.log('apps/server/openapi.json is up to date');
} else {
  writeFileSync(target, generated);
  console.log('wrote apps/server/openapi.json');
}
