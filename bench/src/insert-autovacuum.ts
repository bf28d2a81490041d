/**
 * Shows what migration 2025-12-06T0000-insert-only-autovacuum buys: after a heavy insert, the
 * balance of a busy restaurant stays an index-only scan with no heap fetches.
 * `tsx bench/src/insert-autovacuum.ts` with BENCH_AUTOVACUUM_URL: a PostgreSQL 13+ that may create
 * databases and has autovacuum on (default postgres://postgres@127.0.0.1:5432/postgres).
 *
 * Two databases, migrated the same way; in one the migration's table settings are reset to
 * PostgreSQL's defaults. Each gets 500k charges (1M entries, 1% of them one busy restaurant's), a
 * VACUUM (so everything starts all-visible), then a heavy insert of 75k charges (150k entries):
 * 15% growth, under the default insert threshold (1000 + 20% of the rows), over the migration's
 * 10,000. Then it waits for autovacuum (BENCH_AUTOVACUUM_WAIT_S, default 3 naptimes) and prints
 * pg_stat_user_tables and EXPLAIN (ANALYZE) of the balance query as the code sends it.
 */
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import * as balances from '../../packages/core/src/balances/balance.repository.ts';
import type { Database } from '../../packages/core/src/db/database.ts';
import { migrateToLatest } from '../../packages/core/src/db/migrate.ts';
import { recordStatements } from '../../packages/core/scripts/recording-driver.ts';
import { adminQuery, databaseUrl, withClient } from './harness/databases.ts';

const ADMIN_URL = process.env.BENCH_AUTOVACUUM_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BASE_EVENTS = 500_000;
const HEAVY_EVENTS = 75_000;
const CHUNK_EVENTS = 50_000;
const HOT = 'res_av_busy';

const run = randomBytes(3).toString('hex');

function urlOf(database: string): string {
  return databaseUrl(ADMIN_URL, database);
}

/** Charges (a sale and a fee each) numbered from..to, every 100th one the busy restaurant's. */
async function insertCharges(client: pg.Client, from: number, to: number): Promise<void> {
  for (let start = from; start <= to; start += CHUNK_EVENTS) {
    const end = Math.min(to, start + CHUNK_EVENTS - 1);
    await client.query(
      `WITH ev AS (
         INSERT INTO processor_events (event_id, event_type, restaurant_id, currency, amount_minor, fee_minor, occurred_at, raw_payload)
         SELECT 'av_' || g, 'charge_succeeded', CASE WHEN g % 100 = 0 THEN $3 ELSE 'res_av_' || (g % 100) END, 'PEN', 12000, 600,
                timestamptz '2025-01-01' + g * interval '10 seconds', '{}'
           FROM generate_series($1::int, $2::int) AS g
         RETURNING id, restaurant_id, occurred_at)
       INSERT INTO ledger_entries (processor_event_id, restaurant_id, currency, entry_type, amount_minor, occurred_at, available_at)
       SELECT ev.id, ev.restaurant_id, 'PEN', t.entry_type, t.amount, ev.occurred_at, ev.occurred_at + interval '7 days'
         FROM ev CROSS JOIN (VALUES ('sale', 12000), ('fee', -600)) AS t(entry_type, amount)`,
      [start, end, HOT],
    );
  }
}

async function prepare(database: string, settings: 'migration' | 'postgres defaults'): Promise<void> {
  await adminQuery(ADMIN_URL, `CREATE DATABASE ${database}`);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: urlOf(database), max: 1 }) }) });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  await withClient(urlOf(database), async (client) => {
    if (settings === 'postgres defaults') {
      for (const table of ['processor_events', 'ledger_entries']) {
        await client.query(`ALTER TABLE ${table} RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold)`);
      }
    }
    await client.query(
      `INSERT INTO restaurants (id, maturity_days) SELECT 'res_av_' || i, 7 FROM generate_series(0, 99) AS i UNION ALL SELECT $1, 7`,
      [HOT],
    );
    await insertCharges(client, 1, BASE_EVENTS);
    await client.query('VACUUM (ANALYZE) processor_events, ledger_entries');
  });
}

interface Report {
  database: string;
  settings: string;
  table: string;
  rows_inserted_since_vacuum: number;
  autovacuums: number;
  last_autovacuum: string | null;
}

async function tableStats(database: string, settings: string): Promise<Report[]> {
  return withClient(urlOf(database), async (client) => {
    const { rows } = await client.query<{ relname: string; n_ins_since_vacuum: string; autovacuum_count: string; last_autovacuum: Date | null }>(
      `SELECT relname, n_ins_since_vacuum, autovacuum_count, last_autovacuum FROM pg_stat_user_tables
        WHERE relname IN ('processor_events', 'ledger_entries') ORDER BY relname`,
    );
    return rows.map((row) => ({
      database,
      settings,
      table: row.relname,
      rows_inserted_since_vacuum: Number(row.n_ins_since_vacuum),
      autovacuums: Number(row.autovacuum_count),
      last_autovacuum: row.last_autovacuum?.toISOString() ?? null,
    }));
  });
}

async function explainBalance(database: string): Promise<string> {
  const [statement] = await recordStatements((db) => balances.sumBalance(db, HOT, 'PEN', new Date(), null));
  if (statement === undefined) throw new Error('sumBalance sent no statement');
  return withClient(urlOf(database), async (client) => {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.sql}`, [...statement.parameters]);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

async function main(): Promise<void> {
  const tuned = `perf_ingest_av_${run}_migration`;
  const untuned = `perf_ingest_av_${run}_defaults`;
  const naptime = await withClient(ADMIN_URL, async (client) => {
    const { rows } = await client.query<{ autovacuum: string; naptime: string }>(
      `SELECT current_setting('autovacuum') AS autovacuum, current_setting('autovacuum_naptime') AS naptime`,
    );
    return rows[0] ?? { autovacuum: 'off', naptime: '60s' };
  });
  if (naptime.autovacuum !== 'on') throw new Error(`autovacuum is ${naptime.autovacuum} on ${new URL(ADMIN_URL).host}: nothing to show`);
  const waitSeconds = Number(process.env.BENCH_AUTOVACUUM_WAIT_S ?? 3 * Number.parseInt(naptime.naptime, 10) * (naptime.naptime.endsWith('min') ? 60 : 1));
  try {
    await prepare(tuned, 'migration');
    await prepare(untuned, 'postgres defaults');
    console.log(`seeded ${BASE_EVENTS} charges in each and vacuumed; heavy insert of ${HEAVY_EVENTS} charges into both`);
    await Promise.all([tuned, untuned].map((database) => withClient(urlOf(database), (client) => insertCharges(client, BASE_EVENTS + 1, BASE_EVENTS + HEAVY_EVENTS))));
    console.log(`waiting ${waitSeconds} s for autovacuum (naptime ${naptime.naptime})`);
    await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
    console.table([...(await tableStats(tuned, 'migration')), ...(await tableStats(untuned, 'postgres defaults'))]);
    for (const [database, settings] of [[tuned, 'migration'], [untuned, 'postgres defaults']] as const) {
      console.log(`\nBalance of ${HOT} (${(BASE_EVENTS + HEAVY_EVENTS) / 100} charges, ${(2 * (BASE_EVENTS + HEAVY_EVENTS)) / 100} entries), ${settings}:`);
      console.log(await explainBalance(database));
    }
  } finally {
    for (const database of [tuned, untuned]) {
      await adminQuery(ADMIN_URL, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  }
}

await main();
