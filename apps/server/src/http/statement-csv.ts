import { once } from 'node:events';
import {
  type LedgerContext,
  ledgerErrorFromZod,
  STATEMENT_CSV_HEADER,
  statementCsvLine,
  statementLines,
  statementQuerySchema,
} from '@restaurant-ledger/core';
import type { RequestHandler } from 'express';
import type { EdgeChecks } from './rest-bridge.ts';
import { requestState } from './request-context.ts';

/**
 * GET /v1/restaurants/{id}/statement as CSV (`format=csv` or `Accept: text/csv`), streamed: lines
 * are written as the database pages through the range, waiting for the socket to drain, so any
 * range streams with flat memory. Any other request goes on to the JSON route.
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
      let current = await lines.next();
      res.status(200).set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="statement-${parsed.data.restaurant_id}-${parsed.data.currency}.csv"`,
      });
      res.write(`${STATEMENT_CSV_HEADER}\n`);
      while (current.done !== true && !res.destroyed) {
        if (!res.write(`${statementCsvLine(current.value)}\n`)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        current = await lines.next();
      }
      await lines.return(undefined);
      res.end();
    } catch (error) {
      if (!res.headersSent) return next(error);
      state.log.error({ err: error }, 'statement stream failed part way');
      res.destroy(error instanceof Error ? error : undefined);
    }
  };
}
