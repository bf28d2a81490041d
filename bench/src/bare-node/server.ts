import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { snapshotStatement } from '../harness/pgbench-scripts.ts';

/**
 * The bare-Node baseline of issue 14: `POST /v1/processor/events` with nothing but node:http and
 * pg around the statement the service's fast path sends. It parses the body, sends ONE named
 * prepared statement, recordPlannedEvents exactly as the snapshot packages/core/sql/event.repository.sql
 * holds it (read from that file at start, so it is the service's text whatever it becomes), with the
 * event as the service binds one event (its fields, the body as raw_payload) and a charge's planned
 * entries (sale +amount, fee -fee when there is one, both after the maturity window), and answers
 * 201 with a small JSON; 200 when the statement wrote nothing (the event_id was stored: a replay).
 * No validation, no auth, no logging, no framework. `GET /ready` answers 200 for the harness.
 *
 * Started by the harness (harness/bare-node.ts) with DATABASE_URL, PORT, BARE_POOL_MAX (the
 * service's pool size), BARE_SESSION_OPTIONS (the service's session settings) and
 * BARE_MATURITY_DAYS (the service's default maturity window).
 */
const STATEMENT_NAME = 'bare_record_planned_events';

interface Charge {
  event_id: string;
  event_type: string;
  restaurant_id: string;
  currency: string;
  amount: number;
  fee: number;
  occurred_at: string;
  metadata?: unknown;
}

const text = snapshotStatement('event.repository.sql', 'recordPlannedEvents');
const maturityDays = Number(process.env.BARE_MATURITY_DAYS ?? 7);
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.BARE_POOL_MAX ?? 10),
  ...(process.env.BARE_SESSION_OPTIONS === undefined ? {} : { options: process.env.BARE_SESSION_OPTIONS }),
});

async function record(body: string): Promise<{ status: number; answer: string }> {
  const event = JSON.parse(body) as Charge;
  const planned = [{ ordinal: 0, position: 0, entry_type: 'sale', amount_minor: event.amount, available: 'after_maturity_window', reserve_share: false }];
  if (event.fee > 0) planned.push({ ordinal: 0, position: 1, entry_type: 'fee', amount_minor: -event.fee, available: 'after_maturity_window', reserve_share: false });
  const { rows } = await pool.query<{ id: string | null; stored: boolean | null; entry_id: string | null }>({ name: STATEMENT_NAME, text, values: [
    event.event_id, event.event_type, event.restaurant_id, event.currency, event.amount, event.fee, event.occurred_at,
    JSON.stringify(event.metadata ?? {}), body, JSON.stringify(planned), maturityDays,
  ] });
  const first = rows[0];
  if (first?.id === null || first?.id === undefined || first.stored === true) return { status: 200, answer: JSON.stringify({ event_id: event.event_id, idempotent: true }) };
  return { status: 201, answer: JSON.stringify({ event_id: event.event_id, id: first.id, entries: rows.map((row) => row.entry_id), idempotent: false }) };
}

function send(res: ServerResponse, status: number, answer: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
  res.end(answer);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/ready') return send(res, 200, '{"ready":true}');
  if (req.method !== 'POST' || req.url !== '/v1/processor/events') return send(res, 404, '{"error":"not found"}');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    record(Buffer.concat(chunks).toString('utf8')).then(
      ({ status, answer }) => send(res, status, answer),
      (error: unknown) => send(res, 500, JSON.stringify({ error: error instanceof Error ? error.message : String(error) })),
    );
  });
}

const server = createServer(handle);
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
});
