import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { type CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import * as balances from '../../packages/core/src/balances/balance.repository.ts';
import * as events from '../../packages/core/src/events/event.repository.ts';
import { processorEventInputSchema } from '../../packages/core/src/events/event.schema.ts';
import * as ledger from '../../packages/core/src/ledger/ledger-entry.repository.ts';
import { payoutDecisions } from '../../packages/core/src/payouts/payout-eligibility.repository.ts';
import * as reports from '../../packages/core/src/reports/reports.repository.ts';
import * as statements from '../../packages/core/src/statements/statement.repository.ts';
import { type RepositoryCall, recordStatements } from '../../packages/core/scripts/recording-driver.ts';
import { SESSION_OPTIONS } from '@restaurant-ledger/core';
import { BENCH_DATABASE_URL_DEFAULT, FULL_PLAN, seedLedger } from './seed-ledger.ts';

/**
 * `pnpm bench:explain`: on the seeded 2.1M-entry ledger, runs EXPLAIN (ANALYZE, BUFFERS) of the
 * exact SQL each repository function sends (recorded from the code, with real parameters), once
 * with the index that serves it and once with that index dropped inside a rolled-back transaction,
 * and writes every plan to docs/query-plans.md with a summary table on stdout.
 */
interface PlanCase {
  title: string;
  /** The index that serves it; none for a query that must read every entry of a currency. */
  index?: string;
  call: RepositoryCall;
}

interface Measured {
  plan: string;
  ms: number;
}

const OUTPUT = new URL('../../docs/query-plans.md', import.meta.url);
const HOT = 'res_1m_00001';
const SMALL = 'res_1k_00001';

async function buildCases(client: pg.Client): Promise<PlanCase[]> {
  const now = new Date();
  const hotEvent = await one(client, `SELECT id::text AS id, event_id FROM processor_events WHERE event_id = 'evt_res_1m_250000'`);
  const middle = await one(client, `SELECT occurred_at, id::text AS id FROM ledger_entries WHERE processor_event_id = $1 ORDER BY id LIMIT 1`, [hotEvent('id')]);
  const replayed = processorEventInputSchema.parse({
    event_id: hotEvent('event_id'), event_type: 'charge_succeeded', occurred_at: '2025-06-01T00:00:00Z',
    restaurant_id: HOT, currency: 'PEN', amount: 1000, fee: 30,
  });
  const batch = Array.from({ length: 200 }, (_, i) => `res_bg_${String(i + 1).padStart(5, '0')}`);
  const asOf = now.toISOString().slice(0, 10);
  // What a checkpoint of the 1M-entry restaurant cut a minute ago holds; the plan depends only on
  // its position (every entry up to the restaurant's last), not on the sums.
  const hotLast = await one(client, `SELECT MAX(id)::text AS id FROM ledger_entries WHERE restaurant_id = $1 AND currency = 'PEN'`, [HOT]);
  const checkpoint = { through_entry_id: hotLast('id'), cut_at: new Date(now.getTime() - 60_000), total_minor: '0', available_minor: '0' };
  return [
    {
      title: 'Balance of a restaurant with 1M entries, from a checkpoint cut a minute ago',
      index: 'ledger_entries_since_idx',
      call: (db) => balances.sumBalance(db, HOT, 'PEN', now, checkpoint),
    },
    { title: 'Balance of a restaurant with 1M entries, before any checkpoint', index: 'ledger_entries_since_idx', call: (db) => balances.sumBalance(db, HOT, 'PEN', now, null) },
    { title: 'Balance of a restaurant with 1k entries, before any checkpoint', index: 'ledger_entries_since_idx', call: (db) => balances.sumBalance(db, SMALL, 'PEN', now, null) },
    { title: 'Statement, first page of 100 (1M entries)', index: 'ledger_entries_balance_idx', call: (db) => statements.statementPage(db, { restaurantId: HOT, currency: 'PEN' }, 100, '0') },
    {
      title: 'Statement, a page in the middle of 1M entries (keyset cursor)',
      index: 'ledger_entries_balance_idx',
      call: (db) => statements.statementPage(db, { restaurantId: HOT, currency: 'PEN', after: { occurredAt: middle('occurred_at'), id: middle('id') } }, 100, '0'),
    },
    {
      title: 'Statement, the opening balance of a page in the middle of 1M entries (from the latest statement checkpoint, when there is one)',
      index: 'ledger_entries_balance_idx',
      call: (db) => statements.statementOpening(db, HOT, 'PEN', { occurredAt: middle('occurred_at'), id: middle('id') }),
    },
    { title: 'Q1 available balance per restaurant, first page of 100', index: 'ledger_entries_since_idx', call: (db) => reports.availableBalances(db, 'PEN', now, undefined, 100) },
    { title: 'Replay check: find a known event by event_id', index: 'processor_events_event_id_key', call: (_db, trx) => events.findEventsWithEntries(trx, [replayed]) },
    { title: 'Replay answer: the entries of a known event', index: 'ledger_entries_processor_event_idx', call: (db) => ledger.listEventEntries(db, hotEvent('id')) },
    {
      title: 'Payout run: the eligibility rule\'s decisions for a batch of 200 restaurants (nothing settled yet)',
      index: 'ledger_entries_since_idx',
      call: (db) =>
        sql`SELECT * FROM (${payoutDecisions({ idsFrom: sql`SELECT unnest(${batch}::text[])` }, { currency: 'PEN', as_of: asOf, cutoff: now, min_amount: 5000 }, sql`${hotLast('id')}`)}) AS decisions`.execute(db),
    },
    { title: 'Q3 payout eligibility over every restaurant', call: (db) => reports.payoutEligibility(db, 'PEN', asOf, now, 5000) },
  ];
}

/** EXPLAIN ANALYZE of a read-only statement, after one warm-up run: the plans are steady-state. */
async function measure(client: pg.Client, statement: CompiledQuery): Promise<Measured> {
  await client.query(statement.sql, [...statement.parameters]);
  return explainAnalyze(client, statement);
}

async function explainAnalyze(client: pg.Client, statement: CompiledQuery): Promise<Measured> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`, [...statement.parameters]);
  const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
  return { plan, ms: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN) };
}

/** The same statement with `index` dropped, inside a transaction that is rolled back. */
async function measureWithout(client: pg.Client, index: string, statement: CompiledQuery): Promise<Measured> {
  await client.query('BEGIN');
  try {
    const constraint = await client.query(`SELECT conrelid::regclass::text AS table_name FROM pg_constraint WHERE conname = $1`, [index]);
    const table = constraint.rows[0]?.table_name as string | undefined;
    await client.query(table === undefined ? `DROP INDEX ${index}` : `ALTER TABLE ${table} DROP CONSTRAINT ${index} CASCADE`);
    return await explainAnalyze(client, statement);
  } finally {
    await client.query('ROLLBACK');
  }
}

/** The first row of a query, as a reader of its columns (as text) that refuses a missing one. */
async function one(client: pg.Client, text: string, parameters: unknown[] = []): Promise<(column: string) => string> {
  const { rows } = await client.query<Record<string, unknown>>(text, parameters);
  const row = rows[0];
  if (row === undefined) throw new Error(`no row for ${text}`);
  return (column) => {
    const value = row[column];
    if (value === undefined || value === null) throw new Error(`no ${column} in the row of ${text}`);
    return value instanceof Date ? value.toISOString() : String(value);
  };
}

const url = process.env.BENCH_DATABASE_URL ?? BENCH_DATABASE_URL_DEFAULT;
await seedLedger(url, FULL_PLAN, (line) => console.error(`seed: ${line}`));
// The server's own session settings, so the plans are the ones it gets.
const client = new pg.Client({ connectionString: url, options: SESSION_OPTIONS });
await client.connect();
try {
  const version = await one(client, 'SHOW server_version');
  const counts = await one(client, `SELECT (SELECT count(*) FROM ledger_entries)::text AS entries, (SELECT count(*) FROM processor_events)::text AS events, (SELECT count(*) FROM restaurants)::text AS restaurants`);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, PostgreSQL ${version('server_version')}`;
  const lines = [
    '# Query plans on a 2.1M-entry ledger',
    '',
    `Generated by \`pnpm bench:explain\` on ${new Date().toISOString().slice(0, 10)} (${machine}).`,
    `Seeded by \`pnpm bench:seed\`: ${Number(counts('entries')).toLocaleString('en-US')} ledger entries, ${Number(counts('events')).toLocaleString('en-US')} events, ${Number(counts('restaurants')).toLocaleString('en-US')} restaurants.`,
    'Each query is the exact SQL the repository function sends. "Without" drops the index inside a transaction that is rolled back.',
    '',
  ];
  const summary: string[] = ['| query | index | ms | ms without the index |', '|---|---|---:|---:|'];
  for (const planCase of await buildCases(client)) {
    const [statement] = await recordStatements(planCase.call);
    if (statement === undefined) throw new Error(`${planCase.title}: the call sent no statement`);
    const withIndex = await measure(client, statement);
    const without = planCase.index === undefined ? undefined : await measureWithout(client, planCase.index, statement);
    const indexName = planCase.index === undefined ? 'none' : `\`${planCase.index}\``;
    summary.push(`| ${planCase.title} | ${indexName} | ${withIndex.ms.toFixed(2)} | ${without?.ms.toFixed(2) ?? '-'} |`);
    lines.push(`## ${planCase.title}`, '', `Index: ${indexName}.`, '', '```sql', statement.sql.trim(), '```', '', `As the code runs it (${withIndex.ms.toFixed(2)} ms):`, '', '```', withIndex.plan, '```', '');
    if (without !== undefined) lines.push(`Without the index (${without.ms.toFixed(2)} ms):`, '', '```', without.plan, '```', '');
    console.error(`explain: ${planCase.title}: ${withIndex.ms.toFixed(2)} ms, ${without?.ms.toFixed(2) ?? '-'} ms without its index`);
  }
  lines.splice(6, 0, ...summary, '');
  writeFileSync(OUTPUT, `${lines.join('\n')}\n`);
  console.log(summary.join('\n'));
  console.log(`\nplans written to docs/query-plans.md`);
} finally {
  await client.end();
}
