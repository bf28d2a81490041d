import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { freePort, rssMb } from './harness/server-process.ts';
import { BENCH_DATABASE_URL_DEFAULT, FULL_PLAN, seedLedger } from './seed-ledger.ts';

/**
 * `pnpm bench:csv-memory`: starts the real server on the seeded ledger and streams the CSV
 * statement of restaurants with 1k, 100k and 1M entries, sampling the server's resident memory
 * every 20 ms. A streamed export keeps the peak flat whatever the range; one held in memory would
 * grow by hundreds of MB for 1M rows. Prints rows, bytes, rate and peak RSS for each, and the ratio
 * of each peak to the 1k baseline measured in the same run.
 */
const SERVER_DIR = new URL('../../apps/server/', import.meta.url);
const RSS_SAMPLE_MS = 20;
/** The server's V8 old space is capped here: an export that held its rows in memory would die of it. */
const SERVER_OLD_SPACE_MB = 64;
const CASES = [
  { restaurant: 'res_1k_00001', entries: 1_000 },
  { restaurant: 'res_100k_00001', entries: 100_000 },
  { restaurant: 'res_1m_00001', entries: 1_000_000 },
  // Again: a leak would climb further; a steady state stays where the first run left it.
  { restaurant: 'res_1m_00001', entries: 1_000_000 },
];

interface StreamResult {
  rows: number;
  bytes: number;
  seconds: number;
  peakRssMb: number;
  startRssMb: number;
}

async function startServer(url: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [`--max-old-space-size=${SERVER_OLD_SPACE_MB}`, '--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'development' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not become ready within 30 s');
}

async function streamCsv(port: number, pid: number, restaurant: string): Promise<StreamResult> {
  const startRssMb = rssMb(pid);
  let peakRssMb = startRssMb;
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, rssMb(pid));
  }, RSS_SAMPLE_MS);
  const startedMs = performance.now();
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v1/restaurants/${restaurant}/statement?currency=PEN&format=csv`);
    if (!response.ok || response.body === null) throw new Error(`statement of ${restaurant}: HTTP ${response.status}`);
    let bytes = 0;
    let newlines = 0;
    // Read at the pace the bytes arrive and keep none of them: the client must not be the bottleneck.
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      for (const byte of chunk) if (byte === 10) newlines += 1;
    }
    return { rows: newlines - 1, bytes, seconds: (performance.now() - startedMs) / 1000, peakRssMb, startRssMb };
  } finally {
    clearInterval(sampler);
  }
}

const url = process.env.BENCH_DATABASE_URL ?? BENCH_DATABASE_URL_DEFAULT;
await seedLedger(url, FULL_PLAN, (line) => console.error(`seed: ${line}`));
const port = await freePort();
const server = await startServer(url, port);
try {
  const pid = server.pid ?? 0;
  // One small export first, so the baseline includes whatever the first request loads.
  await streamCsv(port, pid, 'res_1k_00001');
  const results: Array<StreamResult & { restaurant: string; entries: number }> = [];
  for (const { restaurant, entries } of CASES) {
    const result = await streamCsv(port, pid, restaurant);
    if (result.rows !== entries) throw new Error(`${restaurant}: expected ${entries} CSV rows, got ${result.rows}`);
    results.push({ ...result, restaurant, entries });
  }
  const baseline = results[0]?.peakRssMb ?? Number.NaN;
  console.log('| entries | CSV size | time | rows/s | server RSS before | peak RSS | peak vs 1k |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.entries.toLocaleString('en-US')} | ${(r.bytes / 2 ** 20).toFixed(1)} MiB | ${r.seconds.toFixed(2)} s | ${Math.round(r.rows / r.seconds).toLocaleString('en-US')} | ` +
        `${r.startRssMb.toFixed(0)} MB | ${r.peakRssMb.toFixed(0)} MB | ${(r.peakRssMb / baseline).toFixed(2)}× |`,
    );
  }
} finally {
  server.kill('SIGTERM');
}
