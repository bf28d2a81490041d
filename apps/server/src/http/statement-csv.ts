import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type LedgerContext,
  ledgerErrorFromZod,
  STATEMENT_CSV_HEADER,
  statementCsvLine,
  statementLines,
  type StatementLine,
  statementQuerySchema,
} from '@restaurant-ledger/core';
import type { RequestHandler } from 'express';
import type { EdgeChecks } from './rest-routes.ts';
import { requestState } from './request-context.ts';

/** Lines per chunk written to the socket: one write per line would cost a syscall per entry. */
const CSV_LINES_PER_CHUNK = 500;

/**
 * GET /v1/restaurants/{id}/statement as CSV (`format=csv` or `Accept: text/csv`), streamed: lines
 * are written as the database pages through the range, and `pipeline` waits for the socket to
 * drain (and stops reading the database when the client goes away), so any range streams with
 * flat memory. Any other request goes on to the JSON route.
 */
export function statementCsv(ledger: LedgerContext, checks: EdgeChecks): RequestHandler {
  return async (req, res, next) => {
    const wantsCsv = req.query.format === 'csv' || (req.query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
    if (!wantsCsv) return next();
    const state = requestState(req);
    try {
      checks.checkApiKey(req.headers);
      const parsed = statementQuerySchema.safeParse({ ...req.query, format: 'csv', restaurant_id: req.params.restaurant_id });
      if (!parsed.success) throw ledgerErrorFromZod(parsed.error);
      const lines = statementLines(ledger, parsed.data);
      // The first line (or RESTAURANT_NOT_FOUND) comes before any header, so errors still get the envelope.
      const current = await lines.next();
      res.status(200).set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="statement-${parsed.data.restaurant_id}-${parsed.data.currency}.csv"`,
      });
      await pipeline(Readable.from(csvChunks(current.done === true ? undefined : current.value, lines)), res);
    } catch (error) {
      if (!res.headersSent) return next(error);
      // pipeline has destroyed the response (and stopped the database reads) by now.
      if (isPrematureClose(error)) state.log.info('the client closed the statement stream before its end');
      else state.log.error({ err: error }, 'statement stream failed part way');
      res.destroy();
    }
  };
}

/** The CSV text in chunks of CSV_LINES_PER_CHUNK lines: the header, the line already read, then the rest. */
async function* csvChunks(first: StatementLine | undefined, rest: AsyncGenerator<StatementLine>): AsyncGenerator<string> {
  let chunk = `${STATEMENT_CSV_HEADER}\n`;
  let linesInChunk = 0;
  const add = (line: StatementLine) => {
    chunk += `${statementCsvLine(line)}\n`;
    linesInChunk += 1;
  };
  if (first !== undefined) add(first);
  for await (const line of rest) {
    add(line);
    if (linesInChunk >= CSV_LINES_PER_CHUNK) {
      yield chunk;
      chunk = '';
      linesInChunk = 0;
    }
  }
  if (chunk !== '') yield chunk;
}

function isPrematureClose(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ERR_STREAM_PREMATURE_CLOSE';
}
