import { readFileSync } from 'node:fs';
import * as CORE_LIMITS from '../../../packages/core/src/limits.ts';
import * as EDGE_LIMITS from '../src/edge-limits.ts';

/** The two modules that hold every limit and default, and their exports. */
const LIMIT_MODULES = [
  { path: 'packages/core/src/limits.ts', values: CORE_LIMITS as Readonly<Record<string, unknown>> },
  { path: 'apps/server/src/edge-limits.ts', values: EDGE_LIMITS as Readonly<Record<string, unknown>> },
] as const;

export interface LimitRow {
  name: string;
  value: number | string;
  module: string;
  /** The environment variable whose default it is, when one changes it. */
  setting: string | undefined;
  meaning: string;
}

/** `/** doc *\/ export const NAME = …` declarations of a source file: name → doc text (one line). */
function documentedConstants(source: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of source.matchAll(/\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*\nexport const ([A-Z][A-Z0-9_]*)\b/g)) {
    const doc = (match[1] ?? '').split('\n').map((line) => line.replace(/^\s*\*\s?/, '').trim()).filter(Boolean).join(' ');
    found.set(match[2] ?? '', doc);
  }
  return found;
}

/** Which environment variable defaults to which constant, read from the schema in config.ts. */
function settingsByDefault(configSource: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of configSource.matchAll(/^\s+([A-Z][A-Z0-9_]*): .*\b([A-Z][A-Z0-9_]*(?:_DEFAULT|_MS_DEFAULT))\b/gm)) {
    found.set(match[2] ?? '', match[1] ?? '');
  }
  return found;
}

/**
 * Every limit and default the service has, from the two limit modules: its value, its meaning (its
 * doc comment) and the environment variable that changes it, if any. A constant without a doc
 * comment is an error: the table would have a row that says nothing.
 */
export function limitRows(repoRoot: string): LimitRow[] {
  const settings = settingsByDefault(readFileSync(`${repoRoot}apps/server/src/config.ts`, 'utf8'));
  return LIMIT_MODULES.flatMap(({ path, values }) => {
    const docs = documentedConstants(readFileSync(`${repoRoot}${path}`, 'utf8'));
    return Object.entries(values)
      .sort(([a], [b]) => a.localeCompare(b))
      .filter((entry): entry is [string, number | string] => /^[A-Z][A-Z0-9_]*$/.test(entry[0]) && ['number', 'string'].includes(typeof entry[1]))
      .map(([name, value]) => {
        const meaning = docs.get(name);
        if (meaning === undefined) throw new Error(`${path}: ${name} has no doc comment`);
        return { name, value, module: path, setting: settings.get(name), meaning };
      });
  });
}
