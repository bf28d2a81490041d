/**
 * Measures events/s through the single webhook route and through the batch route, on this
 * machine, against a real PostgreSQL: `pnpm bench:batch` (BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres, must be allowed to create databases).
 *
 * The server runs as its own process (`node --import tsx src/main.ts`, as in the image), on a
 * fresh database, logging at info as in production, with rate limits off and webhooks unsigned;
 * this process only sends. Every
 * event is new (201), 50 restaurants, charges with a fee (two entries each).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import pg from 'pg';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SINGLE_EVENTS = Number(process.env.BENCH_SINGLE_EVENTS ?? 4_000);
const SINGLE_CONCURRENCY = Number(process.env.BENCH_SINGLE_CONCURRENCY ?? 16);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 1_000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 20);
const BATCH_CONCURRENCY = Number(process.env.BENCH_BATCH_CONCURRENCY ?? 2);

const run = randomBytes(4).toString('hex');
let sequence = 0;
const event = () => {
  sequence += 1;
  return {
    event_id: `bench_${run}_${sequence}`,
    event_type: 'charge_succeeded',
    occurred_at: '2025-12-20T15:10:00Z',
    restaurant_id: `res_bench_${sequence % 50}`,
    currency: 'PEN',
    amount: 12_000,
    fee: 600,
    metadata: { reservation_id: `rsv_${sequence}`, payment_id: `pay_${sequence}` },
  };
};

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function startServer(databaseUrl: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('../../apps/server/', import.meta.url),
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      LEDGER_RATE_LIMIT_PER_KEY: '0',
      LEDGER_RATE_LIMIT_PER_IP: '0',
      LEDGER_WEBHOOK_RATE_LIMIT_PER_IP: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    // The server logs as in production (one line per request); reading them keeps the pipe flowing.
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as { msg?: string; port?: number };
      if (parsed.msg === 'restaurant-ledger listening' && parsed.port !== undefined) resolve(parsed.port);
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

async function post(url: string, body: unknown): Promise<{ status: number; json: { data?: { summary?: { created: number } } } }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as { data?: { summary?: { created: number } } } };
}

/** Runs `count` jobs, `concurrency` at a time; returns the seconds it took. */
async function timed(count: number, concurrency: number, job: () => Promise<void>): Promise<number> {
  let started = 0;
  const begin = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < count) {
        started += 1;
        await job();
      }
    }),
  );
  return Number(process.hrtime.bigint() - begin) / 1e9;
}

async function main(): Promise<void> {
  const database = `perf_bench_batch_${run}`;
  await admin(`CREATE DATABASE ${database}`);
  const databaseUrl = new URL(ADMIN_URL);
  databaseUrl.pathname = `/${database}`;
  const server = await startServer(databaseUrl.toString());
  try {
    // Warm up both routes (JIT, pool connections, restaurants registered).
    for (let i = 0; i < 50; i += 1) await post(`${server.url}/v1/processor/events`, event());
    await post(`${server.url}/v1/processor/events/batch`, { events: Array.from({ length: 100 }, event) });

    const single = await timed(SINGLE_EVENTS, SINGLE_CONCURRENCY, async () => {
      const { status } = await post(`${server.url}/v1/processor/events`, event());
      if (status !== 201) throw new Error(`single: ${status}`);
    });
    const batch = await timed(BATCHES, BATCH_CONCURRENCY, async () => {
      const { status, json } = await post(`${server.url}/v1/processor/events/batch`, { events: Array.from({ length: BATCH_SIZE }, event) });
      if (status !== 200 || json.data?.summary?.created !== BATCH_SIZE) throw new Error(`batch: ${status}`);
    });
    const rows = [
      { route: 'POST /v1/processor/events', events: SINGLE_EVENTS, requests: SINGLE_EVENTS, concurrency: SINGLE_CONCURRENCY, seconds: single },
      { route: `POST /v1/processor/events/batch (${BATCH_SIZE}/request)`, events: BATCHES * BATCH_SIZE, requests: BATCHES, concurrency: BATCH_CONCURRENCY, seconds: batch },
    ];
    console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, PostgreSQL at ${new URL(ADMIN_URL).host}`);
    console.table(rows.map((r) => ({ ...r, seconds: Number(r.seconds.toFixed(2)), 'events/s': Math.round(r.events / r.seconds) })));
    console.log(`batch / single: ${(BATCHES * BATCH_SIZE / batch / (SINGLE_EVENTS / single)).toFixed(1)}x`);
  } finally {
    await server.stop();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

await main();
