import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envSchema } from '../src/config.ts';
import { generatedDocs, REPO_ROOT, withTables } from '../scripts/docs-tables.ts';
import { limitRows } from '../scripts/limits-table.ts';

describe('the tables in docs/ that restate code', () => {
  it.each(generatedDocs().map((doc) => [doc.path, doc] as const))('%s matches the code', (path, doc) => {
    expect(doc.committed, `${path} is stale: run \`pnpm docs:generate\` and commit it`).toBe(doc.generated);
  });

  it('rewrites only what lies between the markers', () => {
    const text = 'before\n<!-- generated: t by pnpm docs:generate -->\nold\n<!-- /generated -->\nafter\n';
    expect(withTables('x.md', text, { t: () => 'new' })).toBe(
      'before\n<!-- generated: t by pnpm docs:generate -->\nnew\n<!-- /generated -->\nafter\n',
    );
  });

  it('refuses a file that lost its markers, rather than dropping the table', () => {
    expect(() => withTables('x.md', 'no markers here', { t: () => 'new' })).toThrow(/no "<!-- generated: t/);
  });

  it('lists every numeric setting with the named default it starts from', () => {
    const schema = z.toJSONSchema(envSchema, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<string, { default?: unknown }>;
    };
    const numericSettings = Object.entries(schema.properties)
      .filter(([name, field]) => typeof field.default === 'number' && name !== 'PORT')
      .map(([name]) => name)
      .sort();
    const rows = limitRows(REPO_ROOT);
    expect(rows.flatMap((row) => (row.setting === undefined ? [] : [row.setting])).sort()).toEqual(numericSettings);
    for (const row of rows.filter((limit) => limit.setting !== undefined)) {
      expect(schema.properties[row.setting ?? '']?.default, row.name).toBe(row.value);
    }
  });
});
