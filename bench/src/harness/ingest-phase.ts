import { chargeSequence, replayBodies } from './charges.ts';
import { runLoad, type LoadSpec } from './http-load.ts';
import { measureRaw, type RawScenario, rawIngestScenarios, type RawWorkload } from './raw-ceiling.ts';
import { attempt, type HttpFigure, type PhaseContext } from './results.ts';

const SINGLE_ROUTE = '/v1/processor/events';
const BATCH_ROUTE = '/v1/processor/events/batch';
/** The batch route's summary, read without parsing the whole (large) answer. */
const BATCH_CREATED = /"summary":\{"created":(\d+)/;

interface IngestContext extends PhaseContext {
  rawUrl: string;
  /** Called with each figure as it is measured, to print it with its ratio. */
  report: (figure: HttpFigure) => void;
}

/**
 * The ingestion half: each raw ceiling, then the HTTP figures compared with it, so that a ceiling
 * and its figure are measured minutes apart at most on a machine whose load drifts. Events the
 * single route stored are what the replay figure sends again.
 */
export async function runIngestPhase(ctx: IngestContext): Promise<void> {
  const { config, server, results } = ctx;
  const nextCharge = chargeSequence(`http_${Date.now().toString(36)}`);
  const stored: string[] = [];
  const single = (connections: number, seconds: number): LoadSpec => ({
    baseUrl: server.url, method: 'POST', path: SINGLE_ROUTE, connections, seconds, expectedStatus: 201,
    body: () => JSON.stringify(nextCharge()),
    onExpected: (sentBody) => stored.push(sentBody),
  });
  const batch = (size: number, seconds: number): LoadSpec => ({
    baseUrl: server.url, method: 'POST', path: BATCH_ROUTE, connections: config.batchConnections, seconds, expectedStatus: 200,
    body: () => JSON.stringify({ events: Array.from({ length: size }, nextCharge) }),
    itemsOf: (body) => Number(BATCH_CREATED.exec(body)?.[1] ?? 0),
  });

  if (config.warmupSeconds > 0) {
    ctx.log(`warming the server up: ${config.warmupSeconds} s of new events on both routes`);
    await attempt(results, 'warm-up', ctx.log, async () => {
      await runLoad(single(config.singleConnections, config.warmupSeconds));
      await runLoad(batch(config.batchSizes[0] ?? 100, Math.min(config.warmupSeconds, 2)));
    });
  }
  const scenarios = rawIngestScenarios(config);
  let tag = 0;
  const raw = async (workload: RawWorkload, size = 1) => {
    for (const scenario of scenarios.filter((s) => s.workload === workload && s.eventsPerTransaction === size)) {
      tag += 1;
      await measureRawStep(ctx, scenario, tag);
    }
  };

  await raw('single');
  const connections = [...new Set([config.singleConnections, ...config.singleConnectionsOthers])].sort((a, b) => a - b);
  for (const count of connections) {
    await measureHttp(ctx, { label: `single event, ${count} connection${count === 1 ? '' : 's'}`, workload: 'single', connections: count, eventsPerRequest: 1 }, single(count, config.throughputSeconds));
  }

  await raw('replay');
  const replays = [...stored];
  ctx.log(`replaying the ${replays.length.toLocaleString('en-US')} events the single route stored`);
  if (replays.length > 0) {
    await measureHttp(ctx, { label: `replay, ${config.singleConnections} connections`, workload: 'replay', connections: config.singleConnections, eventsPerRequest: 1 }, {
      baseUrl: server.url, method: 'POST', path: SINGLE_ROUTE, connections: config.singleConnections, seconds: config.throughputSeconds,
      expectedStatus: 200, body: replayBodies(replays),
    });
  } else {
    results.errors.push({ step: 'HTTP replay', message: 'the single route stored no event to replay' });
  }

  for (const size of config.batchSizes) {
    await raw('batch', size);
    await measureHttp(ctx, { label: `batch of ${size}, ${config.batchConnections} connections`, workload: 'batch', connections: config.batchConnections, eventsPerRequest: size }, batch(size, config.throughputSeconds));
  }
}

async function measureRawStep(ctx: IngestContext, scenario: RawScenario, tag: number): Promise<void> {
  ctx.log(`raw ${scenario.id}: ${scenario.script}, -M ${scenario.mode}, ${scenario.clients} clients, ${ctx.config.throughputSeconds} s`);
  const figure = await attempt(ctx.results, `raw ${scenario.id}`, ctx.log, () => measureRaw(ctx.config, ctx.rawUrl, scenario, tag));
  if (figure === undefined) return;
  ctx.results.raw.push(figure);
  ctx.log(`raw ${scenario.id}: ${Math.round(figure.eventsPerSecond).toLocaleString('en-US')} events/s (${figure.result.tps.toFixed(0)} tps, average ${figure.result.latencyAvgMs.toFixed(2)} ms)`);
}

async function measureHttp(ctx: IngestContext, figure: Omit<HttpFigure, 'result'>, spec: LoadSpec): Promise<void> {
  ctx.log(`HTTP ${figure.label}: ${spec.method} ${spec.path}, ${spec.seconds} s`);
  const result = await attempt(ctx.results, `HTTP ${figure.label}`, ctx.log, () => runLoad(spec));
  if (result === undefined) return;
  const measured = { ...figure, result };
  ctx.results.http.push(measured);
  ctx.report(measured);
}
