import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '@restaurant-ledger/core';
import { describe, expect, it } from 'vitest';
import { EDGE_ERROR_CODES, WIRE_ERROR_CODES } from '../src/edge-errors.ts';
import { ERROR_HTTP } from '../src/errors.ts';

const CORE_SRC = fileURLToPath(new URL('../../../packages/core/src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('error codes', () => {
  it('are on the wire exactly core’s domain codes and the edge’s own, with no code in both', () => {
    expect(ERROR_CODES.filter((code) => (EDGE_ERROR_CODES as readonly string[]).includes(code))).toEqual([]);
    expect(new Set(WIRE_ERROR_CODES)).toEqual(new Set([...ERROR_CODES, ...EDGE_ERROR_CODES]));
    expect(Object.keys(ERROR_HTTP).sort()).toEqual([...WIRE_ERROR_CODES].sort());
  });

  it('of the edge never appear in packages/core', () => {
    const mentions = sourceFiles(CORE_SRC).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return EDGE_ERROR_CODES.filter((code) => text.includes(`'${code}'`)).map((code) => `${file}: ${code}`);
    });
    expect(mentions).toEqual([]);
  });
});
