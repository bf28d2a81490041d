import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { chargeSequence } from './charges.ts';
import type { BenchConfig } from './config.ts';
import { type LoadResult, runLoad } from './http-load.ts';
import { attempt, type BenchResults } from './results.ts';
import { type RunningServer, startServer } from './server-process.ts';
import { summarizeLatencies } from './stats.ts';

/** How often the sealing lag is sampled while the sealer runs. */
const LAG_SAMPLE_MS = 200;
/** The longest a sealing server may take to seal the backlog the previous (unsealed) round left. */
const CATCH_UP_TIMEOUT_MS = 120_000;

/** Single-event ingestion with the sealer off and on, off, on, on, off, so the machine's drift falls on both alike. */
export interface SealingFigure {
  intervalMs: number;
  connections: number;
  rounds: Array<{ sealing: boolean; result: LoadResult; lagSeconds?: { p50: number; p99: number; max: number; samples: number }; catchUpSeconds?: number }>;
  /** Events per second with the sealer on over off (the mean of each side's rounds). */
  ratio: number;
}

/** How long the oldest unsealed entry has waited, by the database's clock (0 when every entry is sealed). */
const LAG_SQL = `
  SELECT COALESCE(EXTRACT(EPOCH FROM now() - (
    SELECT created_at FROM ledger_entries
    WHERE id > COALESCE((SELECT last_entry_id FROM ledger_seals ORDER BY block_number DESC LIMIT 1), 0)
    ORDER BY id LIMIT 1)), 0)::float8 AS lag`;

async function sealingLag(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ lag: number }>(LAG_SQL);
  return rows[0]?.lag ?? 0;
}

/**
 * The write cost of tamper evidence (docs/tamper-evidence.md): the single-event route measured on
 * one fresh database by a server with LEDGER_SEAL_INTERVAL_MS=0 (no sealer) and one with the
 * sealer on, twice each, in the order off, on, on, off, so that a drift of the machine or of the
 * growing tables over the phase weighs on both sides alike (the first runs alternated, and the
 * first "on" round, always the second, came out low in every run); an "on" round first lets the
 * sealer catch up with what an "off" round left. While the sealer runs, the lag (age of the oldest unsealed entry) is sampled.
 */
export async function runSealPhase(ctx: {
  config: BenchConfig;
  databaseUrl: string;
  results: BenchResults;
  log: (line: string) => void;
  sealIntervalMs: number;
}): Promise<SealingFigure | undefined> {
  const { config, log } = ctx;
  const nextCharge = chargeSequence(`seal_${Date.now().toString(36)}`);
  const client = new pg.Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  const rounds: SealingFigure['rounds'] = [];
  try {
    for (const sealing of [false, true, true, false]) {
      const env = { LEDGER_SEAL_INTERVAL_MS: sealing ? String(ctx.sealIntervalMs) : '0' };
      const server = await attempt(ctx.results, `start the server (sealing ${sealing ? 'on' : 'off'})`, log, () => startServer(ctx.databaseUrl, log, { env }));
      if (server === undefined) return undefined;
      try {
        rounds.push(await measureRound(ctx, server, client, sealing, nextCharge));
      } finally {
        await server.stop();
      }
    }
  } finally {
    await client.end();
  }
  const mean = (sealing: boolean) => {
    const side = rounds.filter((round) => round.sealing === sealing);
    return side.reduce((sum, round) => sum + round.result.itemsPerSecond, 0) / side.length;
  };
  const figure = { intervalMs: ctx.sealIntervalMs, connections: config.singleConnections, rounds, ratio: mean(true) / mean(false) };
  log(`==> sealing on/off: ${(figure.ratio * 100).toFixed(1)}% of the events per second (${mean(true).toFixed(0)} vs ${mean(false).toFixed(0)})`);
  return figure;
}

async function measureRound(
  ctx: { config: BenchConfig; log: (line: string) => void },
  server: RunningServer,
  client: pg.Client,
  sealing: boolean,
  nextCharge: () => object,
): Promise<SealingFigure['rounds'][number]> {
  const { config, log } = ctx;
  const load = (seconds: number) => ({
    baseUrl: server.url, method: 'POST' as const, path: '/v1/processor/events', connections: config.singleConnections, seconds,
    expectedStatus: 201, body: () => JSON.stringify(nextCharge()),
  });
  if (config.warmupSeconds > 0) await runLoad(load(config.warmupSeconds));
  let catchUpSeconds: number | undefined;
  if (sealing) {
    const startedMs = Date.now();
    while ((await sealingLag(client)) > 0 && Date.now() - startedMs < CATCH_UP_TIMEOUT_MS) await sleep(LAG_SAMPLE_MS);
    catchUpSeconds = (Date.now() - startedMs) / 1000;
  }
  const lags: number[] = [];
  let measuring = true;
  const sampling = (async () => {
    while (sealing && measuring) {
      lags.push(await sealingLag(client));
      await sleep(LAG_SAMPLE_MS);
    }
  })();
  const result = await runLoad(load(config.throughputSeconds));
  measuring = false;
  await sampling;
  const lagSummary = lags.length === 0 ? undefined : summarizeLatencies(lags.map((seconds) => seconds * 1000));
  const lagSeconds = lagSummary === undefined ? undefined : { p50: lagSummary.p50Ms / 1000, p99: lagSummary.p99Ms / 1000, max: lagSummary.maxMs / 1000, samples: lags.length };
  log(
    `==> single event, sealing ${sealing ? 'on ' : 'off'}: ${result.itemsPerSecond.toFixed(0)} events/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms` +
      (lagSeconds === undefined ? '' : `; lag p50 ${lagSeconds.p50.toFixed(2)} s, max ${lagSeconds.max.toFixed(2)} s; caught up in ${catchUpSeconds?.toFixed(1)} s`),
  );
  return { sealing, result, ...(lagSeconds !== undefined && { lagSeconds }), ...(catchUpSeconds !== undefined && { catchUpSeconds }) };
}
