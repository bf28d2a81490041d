import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildOpenApiDocument } from '../../src/openapi.ts';

export const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const bin = (name: string) => join(SERVER_DIR, 'node_modules', '.bin', name);
export const run = promisify(execFile);

/** The tools read no telemetry setting of the machine they run on and phone nobody. */
export const QUIET_TOOLS_ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_UPDATE_NOTIFIER: '1' };

/** The OpenAPI document as the code generates it now, written into a fresh temporary folder. */
export function writeGeneratedDocument(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-openapi-'));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(buildOpenApiDocument(), null, 2));
  return { dir, file };
}
