/**
 * In-process single-event ingestion: ingestEvent called N times in sequence on one pooled connection
 * (prepared statements on, as the service runs) against a fresh, migrated PostgreSQL database, no
 * HTTP, then the same N again as replays. Prints events/s of each. A cheap check of the one statement's cost, before the full `pnpm bench`.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres N=3000 tsx bench/src/ingest-inprocess.ts
 *
 * SYNC_COMMIT=off runs it without waiting for each commit's WAL flush.
 * CORE_SRC=<path to another checkout's packages/core/src/index.ts> measures that code instead
 * (to interleave a before and an after run on the same machine).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { adminQuery, databaseUrl } from './harness/databases.ts';

type Core = typeof import('@restaurant-ledger/core');

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const n = Number(process.env.N ?? 3000);
const warmup = Number(process.env.WARMUP ?? 200);
const restaurants = Number(process.env.RESTAURANTS ?? 50);
const coreSrc = process.env.CORE_SRC;

const core = (await import(coreSrc === undefined ? '@restaurant-ledger/core' : pathToFileURL(coreSrc).href)) as Core;



const name = `ledger_inproc_${randomBytes(5).toString('hex')}`;
await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
// SYNC_COMMIT=off takes the commit's WAL flush out of each event's time, leaving the statement's own cost.
if (process.env.SYNC_COMMIT === 'off') await adminQuery(adminUrl, `ALTER DATABASE ${name} SET synchronous_commit = off`);
const opened = await core.openDatabase({ kind: 'postgres', url: databaseUrl(adminUrl, name), poolSize: 1 });
try {
  await core.migrateToLatest(opened.db);
  const ctx = { db: opened.db, clock: () => new Date(), defaultMaturityDays: 7 };
  const startedAt = Date.now() - 3_600_000;
  // Deterministic per i, so sending i again is a replay with the same content.
  const body = (i: number) => ({
    event_id: `evt_inproc_${i.toString().padStart(8, '0')}`,
    event_type: 'charge_succeeded' as const,
    occurred_at: new Date(startedAt + i).toISOString(),
    restaurant_id: `res_${(i % restaurants).toString().padStart(4, '0')}`,
    currency: 'PEN',
    amount: 12000 + (i % 97),
    fee: 600,
    metadata: { reservation_id: `rsv_${i}`, payment_id: `pay_${i}` },
  });
  const ingest = async (i: number) => {
    const raw = body(i);
    const event = core.processorEventInputSchema.parse(raw);
    await core.ingestEvent(ctx, event, raw);
  };
  for (let i = 0; i < warmup; i++) await ingest(i);
  // The one backend's CPU time (when PostgreSQL runs on this machine): less noisy than wall time on a shared machine.
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(opened.db);
  const backendCpu = (): number | undefined => {
    try {
      const fields = readFileSync(`/proc/${rows[0]?.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in ms at 100 ticks/s
    } catch {
      return undefined;
    }
  };
  // New events first, then the same events again (replays: the same content, nothing to write).
  for (const kind of ['new', 'replay'] as const) {
    const cpuBefore = backendCpu();
    const nodeBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = warmup; i < warmup + n; i++) await ingest(i);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpuAfter = backendCpu();
    const node = process.cpuUsage(nodeBefore);
    const backendUsPerEvent = cpuBefore === undefined || cpuAfter === undefined ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / n);
    const nodeUsPerEvent = Math.round((node.user + node.system) / n);
    const [load1] = (await import('node:os')).loadavg();
    console.log(
      JSON.stringify({ core: coreSrc ?? 'worktree', kind, synchronousCommit: process.env.SYNC_COMMIT ?? 'on', n, seconds: Number(seconds.toFixed(3)), eventsPerSecond: Math.round(n / seconds), backendUsPerEvent, nodeUsPerEvent, load1: Number(load1?.toFixed(2)) }),
    );
  }
} finally {
  await opened.close();
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
