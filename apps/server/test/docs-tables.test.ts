import { describe, expect, it } from 'vitest';
import { generatedDocs, withTables } from '../scripts/docs-tables.ts';

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
});
