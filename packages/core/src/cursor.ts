import { z } from 'zod';
import { LedgerError } from './errors.ts';
import { CURSOR_CHARS_MAX } from './limits.ts';

/**
 * Page cursors, one rule for every paged route: opaque to clients (base64url of a small versioned
 * JSON), naming the route kind that issued it, its position, and the filters the next page must
 * keep. A cursor this server did not issue for this request is CURSOR_INVALID, never a silent
 * restart at page one.
 */
const CURSOR_VERSION = 1;

export const CURSOR_KINDS = ['statement', 'payouts', 'balances_report', 'disputes', 'deficits_report', 'payout_runs', 'subscriptions', 'deliveries'] as const;
export type CursorKind = (typeof CURSOR_KINDS)[number];

/** Filters a cursor pins: values as the request gave them, null when absent. */
export type CursorFilters = Readonly<Record<string, string | null>>;

export type CursorInvalidReason = 'malformed' | 'unsupported_version' | 'other_route' | 'filters_changed';

/** The query parameter, documented the same way on every paged route. */
export const cursorParamSchema = z
  .string()
  .meta({
    description:
      'next_cursor of the previous page, passed back unchanged with the same filters. Any other value is ' +
      `422 CURSOR_INVALID. At most ${CURSOR_CHARS_MAX} characters.`,
  })
  .optional();

const envelopeSchema = z.strictObject({
  v: z.number(),
  k: z.string(),
  f: z.record(z.string(), z.string().nullable()),
  p: z.unknown(),
});

export function encodeCursor<P>(kind: CursorKind, filters: CursorFilters, position: P): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, k: kind, f: filters, p: position }), 'utf8').toString('base64url');
}

/**
 * The position a cursor names, after checking that this route issued it for these filters.
 * @throws LedgerError CURSOR_INVALID (details.reason says why)
 */
export function decodeCursor<P>(kind: CursorKind, cursor: string, filters: CursorFilters, positionSchema: z.ZodType<P>): P {
  const envelope = parseEnvelope(cursor);
  if (envelope === undefined) throw cursorInvalid(kind, 'malformed', 'the cursor is not one this server issued');
  if (envelope.v !== CURSOR_VERSION) throw cursorInvalid(kind, 'unsupported_version', 'the cursor comes from another version of the API');
  if (envelope.k !== kind) throw cursorInvalid(kind, 'other_route', `the cursor was issued by another route (${envelope.k})`);
  const changed = Object.keys({ ...filters, ...envelope.f }).filter((name) => (filters[name] ?? null) !== (envelope.f[name] ?? null));
  if (changed.length > 0) {
    throw cursorInvalid(kind, 'filters_changed', `the cursor was issued for other ${changed.join(', ')}: keep the filters between pages`, {
      filters: changed,
    });
  }
  const position = positionSchema.safeParse(envelope.p);
  if (!position.success) throw cursorInvalid(kind, 'malformed', 'the cursor is not one this server issued');
  return position.data;
}

function parseEnvelope(cursor: string): z.output<typeof envelopeSchema> | undefined {
  if (cursor.length === 0 || cursor.length > CURSOR_CHARS_MAX || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const parsed = envelopeSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function cursorInvalid(kind: CursorKind, reason: CursorInvalidReason, message: string, extra: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('CURSOR_INVALID', `cursor: ${message}`, { field: 'cursor', route: kind, reason, ...extra });
}

/**
 * One keyset page: checks the cursor against `kind` and `filters`, fetches up to `limit` + 1 rows
 * after its position (the extra row says another page follows) and issues the next cursor from the
 * last row kept.
 * @throws LedgerError CURSOR_INVALID
 */
export async function keysetPage<Row, P>(
  page: { kind: CursorKind; filters: CursorFilters; cursor: string | undefined; limit: number },
  positionSchema: z.ZodType<P>,
  fetch: (after: P | undefined) => Promise<Row[]>,
  positionOf: (row: Row) => P,
): Promise<{ rows: Row[]; next_cursor: string | null }> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.kind, page.cursor, page.filters, positionSchema);
  const fetched = await fetch(after);
  const rows = fetched.slice(0, page.limit);
  const last = rows[rows.length - 1];
  const more = fetched.length > page.limit && last !== undefined;
  return { rows, next_cursor: more ? encodeCursor(page.kind, page.filters, positionOf(last)) : null };
}
