/**
 * Whether preparing the single-event ingestion statements pays, measured without HTTP in the way:
 * `tsx bench/src/prepared-statements.ts`. Calls ingestEvent (core) for new charges with
 * BENCH_CONCURRENCY (default 16) in flight on a pool of BENCH_POOL_SIZE (default 10), for
 * BENCH_SECONDS (default 10) per figure, alternating prepared and unprepared BENCH_ROUNDS times
 * (default 3) on one fresh database, so both see the same machine and the same table sizes.
 * BENCH_DATABASE_URL: a PostgreSQL that may create databases.
 */
import { randomBytes } from 'node:crypto';
import { ingestEvent, migrateToLatest, openDatabase, processorEventInputSchema } from '@restaurant-ledger/core';
import { chargeSequence } from './harness/charges.ts';
import { adminQuery, databaseUrl } from './harness/databases.ts';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const run = randomBytes(4).toString('hex');
const nextCharge = chargeSequence(`prep_${run}`);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(url: string, preparedStatements: boolean, seconds: number) {
  const opened = await openDatabase({ kind: 'postgres', url, poolSize: POOL_SIZE, preparedStatements });
  const ctx = { db: opened.db, clock: () => new Date(), defaultMaturityDays: 7 };
  const latenciesMs: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < deadline) {
          const event = processorEventInputSchema.parse(nextCharge());
          const started = process.hrtime.bigint();
          const result = await ingestEvent(ctx, event, event);
          latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (result.idempotent) throw new Error('expected a new event');
        }
      }),
    );
  } finally {
    await opened.close();
  }
  latenciesMs.sort((a, b) => a - b);
  return {
    prepared: preparedStatements,
    'events/s': Math.round(latenciesMs.length / seconds),
    'p50 ms': Number(percentile(latenciesMs, 50).toFixed(2)),
    'p99 ms': Number(percentile(latenciesMs, 99).toFixed(2)),
  };
}

async function main(): Promise<void> {
  const database = `perf_ingest_prepared_${run}`;
  await adminQuery(ADMIN_URL, `CREATE DATABASE ${database}`);
  const url = databaseUrl(ADMIN_URL, database);
  try {
    const migrating = await openDatabase({ kind: 'postgres', url: url });
    await migrateToLatest(migrating.db);
    await migrating.close();
    await measure(url, true, 2); // warm-up: JIT, restaurants registered
    const rows = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const prepared of round % 2 === 1 ? [true, false] : [false, true]) {
        const row = { round, ...(await measure(url, prepared, SECONDS)) };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
    console.table(rows);
  } finally {
    await adminQuery(ADMIN_URL, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

await main();
