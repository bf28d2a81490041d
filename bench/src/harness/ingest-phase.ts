import { chargeSequence, replayBodies } from './charges.ts';
import { runLoad, type LoadSpec } from './http-load.ts';
import { measureRaw, type RawScenario, rawIngestScenarios, type RawWorkload } from './raw-ceiling.ts';
import { attempt, type HttpFigure, type HttpTarget, type PhaseContext } from './results.ts';
import type { RunningServer } from './server-process.ts';

const SINGLE_ROUTE = '/v1/processor/events';
export const BATCH_ROUTE = '/v1/processor/events/batch';
/** The batch route's summary, read without parsing the whole (large) answer. */
export const BATCH_CREATED = /"summary":\{"created":(\d+)/;

interface IngestContext extends PhaseContext {
  rawUrl: string;
  /** The bare-Node baseline on the service's database, when it started: same loads, same connections. */
  bare: RunningServer | undefined;
  /** Called with each figure as it is measured, to print it with its ratio. */
  report: (figure: HttpFigure) => void;
}

/** Request generators over one run's events: every new event is stored once, and remembered for the replays. */
interface IngestLoads {
  single(connections: number, seconds: number): LoadSpec;
  batch(size: number, seconds: number): LoadSpec;
  /** Every request an event the single route stored so far; undefined when it stored none. */
  replay(connections: number, seconds: number): LoadSpec | undefined;
}

/** The loads of one process; `prefix` keeps its event_ids apart from the other process's. */
function ingestLoads(ctx: IngestContext, baseUrl: string, prefix: string): IngestLoads {
  const nextCharge = chargeSequence(`${prefix}_${Date.now().toString(36)}`);
  const stored: string[] = [];
  const request = { baseUrl, method: 'POST' as const };
  return {
    single: (connections, seconds) => ({
      ...request, path: SINGLE_ROUTE, connections, seconds, expectedStatus: 201,
      body: () => JSON.stringify(nextCharge()),
      onExpected: (sentBody) => stored.push(sentBody),
    }),
    batch: (size, seconds) => ({
      ...request, path: BATCH_ROUTE, connections: ctx.config.batchConnections, seconds, expectedStatus: 200,
      body: () => JSON.stringify({ events: Array.from({ length: size }, nextCharge) }),
      itemsOf: (body) => Number(BATCH_CREATED.exec(body)?.[1] ?? 0),
    }),
    replay: (connections, seconds) => {
      ctx.log(`replaying the ${stored.length.toLocaleString('en-US')} events the single route of ${baseUrl} stored`);
      if (stored.length === 0) return undefined;
      return { ...request, path: SINGLE_ROUTE, connections, seconds, expectedStatus: 200, body: replayBodies([...stored]) };
    },
  };
}

/**
 * The ingestion half: each raw ceiling, then the HTTP figures compared with it, so that a ceiling
 * and its figure are measured minutes apart at most on a machine whose load drifts. Each service
 * figure of the single route follows the bare-Node baseline's figure of the same load (issue 14's
 * ratio), seconds apart. Events each process's single route stored are what its replays send again.
 */
export async function runIngestPhase(ctx: IngestContext): Promise<void> {
  const { config } = ctx;
  const loads = ingestLoads(ctx, ctx.server.url, 'http');
  const bareLoads = ctx.bare === undefined ? undefined : ingestLoads(ctx, ctx.bare.url, 'bare');
  if (config.warmupSeconds > 0) {
    ctx.log(`warming the server${bareLoads === undefined ? '' : 's'} up: ${config.warmupSeconds} s of new events`);
    await attempt(ctx.results, 'warm-up', ctx.log, async () => {
      await runLoad(loads.single(config.singleConnections, config.warmupSeconds));
      await runLoad(loads.batch(config.batchSizes[0] ?? 100, Math.min(config.warmupSeconds, 2)));
      if (bareLoads !== undefined) await runLoad(bareLoads.single(config.singleConnections, config.warmupSeconds));
    });
  }
  const raw = rawRunner(ctx);
  const seconds = config.throughputSeconds;
  const both = async (figure: Omit<HttpFigure, 'result' | 'target'>, spec: (of: IngestLoads) => LoadSpec | undefined): Promise<void> => {
    const targets: Array<[HttpTarget, IngestLoads | undefined]> = [['bare-node', bareLoads], ['service', loads]];
    for (const [target, of] of targets) {
      if (of === undefined) continue;
      const load = spec(of);
      if (load === undefined) ctx.results.errors.push({ step: `HTTP ${figure.label} (${target})`, message: 'the single route stored no event to replay' });
      else await measureHttp(ctx, { ...figure, target }, load);
    }
  };

  await raw('single');
  for (const count of [...new Set([config.singleConnections, ...config.singleConnectionsOthers])].sort((a, b) => a - b)) {
    const label = `single event, ${count} connection${count === 1 ? '' : 's'}`;
    await both({ label, workload: 'single', connections: count, eventsPerRequest: 1 }, (of) => of.single(count, seconds));
  }

  await raw('replay');
  const replayFigure = { label: `replay, ${config.singleConnections} connections`, workload: 'replay' as const, connections: config.singleConnections, eventsPerRequest: 1 };
  await both(replayFigure, (of) => of.replay(config.singleConnections, seconds));

  for (const size of config.batchSizes) {
    await raw('batch', size);
    const label = `batch of ${size}, ${config.batchConnections} connections`;
    await measureHttp(ctx, { label, target: 'service', workload: 'batch', connections: config.batchConnections, eventsPerRequest: size }, loads.batch(size, seconds));
  }
}

/** Runs the ceiling scenarios of one workload (and batch size), each with a tag of its own. */
function rawRunner(ctx: IngestContext): (workload: RawWorkload, size?: number) => Promise<void> {
  const scenarios = rawIngestScenarios(ctx.config);
  let tag = 0;
  return async (workload, size = 1) => {
    for (const scenario of scenarios.filter((s) => s.workload === workload && s.eventsPerTransaction === size)) {
      tag += 1;
      await measureRawStep(ctx, scenario, tag);
    }
  };
}

async function measureRawStep(ctx: IngestContext, scenario: RawScenario, tag: number): Promise<void> {
  ctx.log(`raw ${scenario.id}: ${scenario.script}, -M ${scenario.mode}, ${scenario.clients} clients, ${ctx.config.throughputSeconds} s`);
  const figure = await attempt(ctx.results, `raw ${scenario.id}`, ctx.log, () => measureRaw(ctx.config, ctx.rawUrl, scenario, tag));
  if (figure === undefined) return;
  ctx.results.raw.push(figure);
  ctx.log(`raw ${scenario.id}: ${Math.round(figure.eventsPerSecond).toLocaleString('en-US')} events/s (${figure.result.tps.toFixed(0)} tps, average ${figure.result.latencyAvgMs.toFixed(2)} ms)`);
}

async function measureHttp(ctx: IngestContext, figure: Omit<HttpFigure, 'result'>, spec: LoadSpec): Promise<void> {
  ctx.log(`HTTP ${figure.label} (${figure.target}): ${spec.method} ${spec.path}, ${spec.seconds} s`);
  const result = await attempt(ctx.results, `HTTP ${figure.label} (${figure.target})`, ctx.log, () => runLoad(spec));
  if (result === undefined) return;
  const measured = { ...figure, result };
  ctx.results.http.push(measured);
  ctx.report(measured);
}
