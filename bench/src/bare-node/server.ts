import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { BALANCE_SCRIPT, scriptStatements, snapshotStatement } from '../harness/pgbench-scripts.ts';

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
 * `GET /v1/restaurants/:id/balance?currency=…`: the balance read as the service's getBalance sends
 * it, with the statements bench/pgbench/balance.sql names (read from the snapshot
 * packages/core/sql/balance.repository.sql at start, each bound as that script's `-- @$n` lines
 * say): sumBalanceFromLatestCheckpoint (the latest balance checkpoint and the entries after it, one
 * round trip), and only when it returns no row sumBalanceWithoutCheckpoint, each a named prepared
 * statement, as of the server's clock. It answers the service's envelope (success, data with the
 * same eight fields, meta with a timestamp and a request id), 404 for an unknown restaurant. It
 * never asks for a checkpoint: the harness has the service write them before measuring either.
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

/** A statement of the balance script: its text from the snapshot, and the variable (restaurant, currency, as_of) bound to each $n. */
interface BalanceStatement {
  name: string;
  text: string;
  variables: Array<keyof BalanceVariables>;
}

interface BalanceVariables {
  restaurant: string;
  currency: string;
  as_of: Date;
}

interface BalanceRow {
  restaurant_found: boolean;
  available: string;
  pending: string;
  reserved: string;
  total: string;
  last_event_at: Date | null;
}

const BALANCE_VARIABLES: ReadonlySet<string> = new Set<keyof BalanceVariables>(['restaurant', 'currency', 'as_of']);
const BALANCE_PATH = /^\/v1\/restaurants\/([^/?]+)\/balance(?:\?(.*))?$/;

/** The balance script's two statements: from the latest checkpoint, and the plain sum when that returns no row. */
function balanceStatements(): [BalanceStatement, BalanceStatement] {
  const statements = scriptStatements(BALANCE_SCRIPT).map(({ file, name, parameters }) => {
    const text = snapshotStatement(file, name);
    const count = Math.max(0, ...[...text.matchAll(/\$(\d+)\b/g)].map((match) => Number(match[1])));
    const variables = Array.from({ length: count }, (_, i) => {
      const variable = parameters.get(String(i + 1))?.replace(/^:/, '');
      if (variable === undefined || !BALANCE_VARIABLES.has(variable)) throw new Error(`${BALANCE_SCRIPT}: ${name} $${i + 1} is not bound to one of ${[...BALANCE_VARIABLES].join(', ')}`);
      return variable as keyof BalanceVariables;
    });
    if (parameters.size !== count) throw new Error(`${BALANCE_SCRIPT}: ${name} has ${count} parameters, the script binds ${parameters.size}`);
    return { name: `bare_${name}`, text, variables };
  });
  const [fromCheckpoint, withoutCheckpoint] = statements;
  if (statements.length !== 2 || fromCheckpoint === undefined || withoutCheckpoint === undefined) throw new Error(`${BALANCE_SCRIPT} names ${statements.length} statements, not 2`);
  return [fromCheckpoint, withoutCheckpoint];
}

const [fromCheckpoint, withoutCheckpoint] = balanceStatements();

async function sendBalanceStatement(statement: BalanceStatement, values: BalanceVariables): Promise<BalanceRow | undefined> {
  const { rows } = await pool.query<BalanceRow>({ name: statement.name, text: statement.text, values: statement.variables.map((variable) => values[variable]) });
  return rows[0];
}

async function balance(restaurant: string, query: string): Promise<{ status: number; answer: string }> {
  const currency = new URLSearchParams(query).get('currency') ?? '';
  const values = { restaurant, currency, as_of: new Date() };
  const row = (await sendBalanceStatement(fromCheckpoint, values)) ?? (await sendBalanceStatement(withoutCheckpoint, values));
  const meta = { timestamp: new Date().toISOString(), request_id: randomUUID() };
  if (row?.restaurant_found !== true) return { status: 404, answer: JSON.stringify({ success: false, error: { code: 'RESTAURANT_NOT_FOUND' }, meta }) };
  const data = {
    restaurant_id: restaurant, currency,
    available: Number(row.available), pending: Number(row.pending), reserved: Number(row.reserved), total: Number(row.total),
    last_event_at: row.last_event_at?.toISOString() ?? null, as_of: values.as_of.toISOString(),
  };
  return { status: 200, answer: JSON.stringify({ success: true, data, meta }) };
}

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

function answer(res: ServerResponse, work: Promise<{ status: number; answer: string }>): void {
  work.then(
    ({ status, answer }) => send(res, status, answer),
    (error: unknown) => send(res, 500, JSON.stringify({ error: error instanceof Error ? error.message : String(error) })),
  );
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/ready') return send(res, 200, '{"ready":true}');
  const balancePath = req.method === 'GET' ? BALANCE_PATH.exec(req.url ?? '') : null;
  if (balancePath !== null) return answer(res, balance(decodeURIComponent(balancePath[1] ?? ''), balancePath[2] ?? ''));
  if (req.method !== 'POST' || req.url !== '/v1/processor/events') return send(res, 404, '{"error":"not found"}');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => answer(res, record(Buffer.concat(chunks).toString('utf8'))));
}

const server = createServer(handle);
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
});
