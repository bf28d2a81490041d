import { createHash } from 'node:crypto';
import pg from 'pg';
import { PREPARED_STATEMENTS_MAX } from '../limits.ts';

/**
 * A repository statement whose SQL starts with this comment is prepared once per PostgreSQL
 * connection and then only bound and executed: PostgreSQL skips parsing and planning it again
 * (after five runs it may keep a generic plan). Marked statements must have a fixed text, their
 * values all in parameters (arrays for lists), so that one text is one prepared statement.
 */
export const PREPARED_MARKER = '/* prepared */';

const names = new Map<string, string>();

/** The name of a marked statement: the same on every connection, derived from its text. */
function nameOf(text: string): string | undefined {
  const known = names.get(text);
  if (known !== undefined || names.size >= PREPARED_STATEMENTS_MAX) return known;
  const name = `ledger_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
  names.set(text, name);
  return name;
}

/**
 * A node-postgres client that prepares the marked statements. node-postgres prepares a query given
 * a `name` (and, per connection, parses it only the first time), but Kysely's driver passes only
 * text and values; this gives the marked ones their name and leaves every other query as it was.
 */
export class PreparingClient extends pg.Client {
  // node-postgres' query has a dozen overloads (promise, callback, stream); this forwards them all.
  override query(...args: any[]): any {
    const [text, values] = args;
    const marked = args.length === 2 && typeof text === 'string' && text.startsWith(PREPARED_MARKER) && Array.isArray(values);
    const name = marked ? nameOf(text) : undefined;
    if (name === undefined) return Reflect.apply(super.query, this, args);
    return super.query({ name, text: text as string, values: values as unknown[] });
  }
}
