/**
 * Single-event HTTP ingestion (POST /v1/processor/events, every event new: 201) for several pool
 * sizes and client concurrencies, measured with autocannon: `pnpm bench:pool`.
 *
 * For each pool size the server runs as its own process (`node --import tsx src/main.ts`, as in
 * the image) on a fresh database, logging at info as in production, rate limits off, webhooks
 * unsigned; this process only sends. Charges with a fee (two entries each) over 50 restaurants.
 *
 * Settings (environment):
 * - BENCH_DATABASE_URL: a PostgreSQL that may create databases (default postgres://postgres@127.0.0.1:5432/postgres)
 * - BENCH_POOL_SIZES: LEDGER_DB_POOL_MAX values to try (default 5,10,20,40)
 * - BENCH_CONNECTIONS: concurrent HTTP connections to try against each (default 16,64)
 * - BENCH_SECONDS: length of each measurement (default 10), after a 3 s warm-up per server
 * - BENCH_ROUNDS: how many times to go over every pool size, interleaved, to see the spread (default 1)
 * - BENCH_SERVER_DIR: the server to start (default apps/server of this checkout); point it at
 *   another checkout to compare two versions in one session
 * - BENCH_SERVER_ENV: extra server settings, `NAME=value,NAME=value` (e.g. LEDGER_DB_PREPARED_STATEMENTS=false)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { chargeSequence } from './harness/charges.ts';
import { adminQuery, databaseUrl } from './harness/databases.ts';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const POOL_SIZES = numbers(process.env.BENCH_POOL_SIZES ?? '5,10,20,40');
const CONNECTIONS = numbers(process.env.BENCH_CONNECTIONS ?? '16,64');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const WARM_UP_SECONDS = 3;
const SERVER_DIR = process.env.BENCH_SERVER_DIR ?? new URL('../../apps/server/', import.meta.url).pathname;
const SERVER_ENV = Object.fromEntries(
  (process.env.BENCH_SERVER_ENV ?? '')
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()]),
);

function numbers(list: string): number[] {
  return list.split(',').map((item) => Number(item.trim()));
}

const run = randomBytes(4).toString('hex');
const nextCharge = chargeSequence(`pool_${run}`);
const chargeBody = (): string => JSON.stringify(nextCharge());

async function startServer(databaseUrl: string, poolSize: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      LEDGER_DB_POOL_MAX: String(poolSize),
      LEDGER_RATE_LIMIT_PER_KEY: '0',
      LEDGER_RATE_LIMIT_PER_IP: '0',
      LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '0',
      ...SERVER_ENV,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const parsed = JSON.parse(line) as { msg?: string; port?: number };
      if (parsed.msg !== 'restaurant-ledger listening' || parsed.port === undefined) return;
      // From here on the request logs are only drained, not parsed: this process shares the CPUs.
      lines.close();
      child.stdout.resume();
      resolve(parsed.port);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Measurement {
  round: number;
  pool: number;
  connections: number;
  'events/s': number;
  'p50 ms': number;
  'p99 ms': number;
  'not 201': number;
}

async function ingest(url: string, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/v1/processor/events`,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: chargeBody() }) }],
  });
}

async function measurePool(round: number, poolSize: number): Promise<Measurement[]> {
  const database = `perf_ingest_pool_${run}_${round}_${poolSize}`;
  await adminQuery(ADMIN_URL, `CREATE DATABASE ${database}`);
  const server = await startServer(databaseUrl(ADMIN_URL, database), poolSize);
  try {
    await ingest(server.url, Math.max(...CONNECTIONS), WARM_UP_SECONDS);
    const measurements: Measurement[] = [];
    for (const connections of CONNECTIONS) {
      const result = await ingest(server.url, connections, SECONDS);
      const created = result.statusCodeStats?.['201']?.count ?? 0;
      measurements.push({
        round,
        pool: poolSize,
        connections,
        'events/s': Math.round(created / SECONDS),
        'p50 ms': result.latency.p50,
        'p99 ms': result.latency.p99,
        'not 201': result.requests.total - created + result.errors,
      });
    }
    return measurements;
  } finally {
    await server.stop();
    await adminQuery(ADMIN_URL, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

async function main(): Promise<void> {
  console.log(
    `node ${process.version}, ${cpus().length} CPUs, PostgreSQL at ${new URL(ADMIN_URL).host}, server ${SERVER_DIR}` +
      `${Object.keys(SERVER_ENV).length > 0 ? ` with ${JSON.stringify(SERVER_ENV)}` : ''}, ${SECONDS} s per figure`,
  );
  const all: Measurement[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const poolSize of POOL_SIZES) {
      const measurements = await measurePool(round, poolSize);
      for (const m of measurements) console.log(JSON.stringify(m));
      all.push(...measurements);
    }
  }
  console.table(all);
}

await main();
