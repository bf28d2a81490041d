/**
 * ingest-inprocess.ts, two versions of core side by side in one process: ingestEvent of the
 * worktree (A) and of CORE_SRC (B, e.g. a `git archive` of an earlier commit), each on its own
 * fresh database and single connection, alternating in blocks of BLOCK events so that a shared,
 * noisy machine weighs on both alike. Prints each one's events/s over N events.
 *
 *   CORE_SRC=/tmp/before/packages/core/src/index.ts N=3000 tsx bench/src/ingest-inprocess-ab.ts
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { adminQuery, databaseUrl } from './harness/databases.ts';

type Core = typeof import('@restaurant-ledger/core');

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const n = Number(process.env.N ?? 3000);
const block = Number(process.env.BLOCK ?? 100);
const warmup = Number(process.env.WARMUP ?? 200);
const coreSrc = process.env.CORE_SRC;
/** BATCH=k > 1: ingestEventBatch with k events a call instead of ingestEvent (N and BLOCK count events, multiples of k). */
const batch = Number(process.env.BATCH ?? 1);
if (coreSrc === undefined) throw new Error('CORE_SRC: the other version of packages/core/src/index.ts');


interface Side {
  label: string;
  name: string;
  close(): Promise<void>;
  ingest(i: number): Promise<void>;
  ingestBatch(from: number): Promise<void>;
  ns: bigint;
}

async function side(label: string, core: Core): Promise<Side> {
  const name = `ledger_inproc_${randomBytes(5).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  if (process.env.SYNC_COMMIT === 'off') await adminQuery(adminUrl, `ALTER DATABASE ${name} SET synchronous_commit = off`);
  const opened = await core.openDatabase({ kind: 'postgres', url: databaseUrl(adminUrl, name), poolSize: 1 });
  await core.migrateToLatest(opened.db);
  const ctx = { db: opened.db, clock: () => new Date(), defaultMaturityDays: 7 };
  return {
    label,
    name,
    ns: 0n,
    close: () => opened.close(),
    ingest: async (i) => {
      const raw = body(i);
      await core.ingestEvent(ctx, core.processorEventInputSchema.parse(raw), raw);
    },
    ingestBatch: async (from) => {
      const outcomes = await core.ingestEventBatch(ctx, Array.from({ length: batch }, (_, k) => body(from + k)));
      if (outcomes.some((o) => o.error !== undefined)) throw new Error('a batch event failed');
    },
  };
}

function body(i: number) {
  return {
    event_id: `evt_inproc_${i.toString().padStart(8, '0')}`,
    event_type: 'charge_succeeded',
    occurred_at: new Date(Date.now() - 60_000).toISOString(),
    restaurant_id: `res_${(i % 50).toString().padStart(4, '0')}`,
    currency: 'PEN',
    amount: 12000 + (i % 97),
    fee: 600,
    metadata: { reservation_id: `rsv_${i}`, payment_id: `pay_${i}` },
  };
}

const sides = [
  await side('worktree', (await import('@restaurant-ledger/core')) as Core),
  await side(coreSrc, (await import(pathToFileURL(coreSrc).href)) as Core),
];
try {
  for (const s of sides) for (let i = 0; i < warmup; i++) await s.ingest(i);
  for (let done = 0; done < n; done += block) {
    // Alternate which side goes first in each round.
    const order = (done / block) % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const start = process.hrtime.bigint();
      for (let i = warmup + done; i < warmup + Math.min(n, done + block); i += batch) await (batch > 1 ? s.ingestBatch(i) : s.ingest(i));
      s.ns += process.hrtime.bigint() - start;
    }
  }
  const result = Object.fromEntries(sides.map((s) => [s.label, Math.round(n / (Number(s.ns) / 1e9))]));
  console.log(JSON.stringify({ synchronousCommit: process.env.SYNC_COMMIT ?? 'on', n, block, batch, eventsPerSecond: result, load1: Number(loadavg()[0]?.toFixed(2)) }));
} finally {
  for (const s of sides) {
    await s.close();
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${s.name} WITH (FORCE)`);
  }
}
