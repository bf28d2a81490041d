import autocannon from 'autocannon';
import { type LatencySummary, summarizeLatencies } from './stats.ts';

/** autocannon gives up on a response after this long and counts a timeout. */
const RESPONSE_TIMEOUT_SECONDS = 30;

export interface LoadSpec {
  baseUrl: string;
  method: 'GET' | 'POST';
  path: string;
  connections: number;
  seconds: number;
  /** A new body for every request sent (a new event_id each time, say). */
  body?: () => string;
  /** The status every response should have; others are counted and reported. */
  expectedStatus: number;
  /** What one expected response stands for (events of a batch), read from its body; 1 without it. */
  itemsOf?: (responseBody: string) => number;
  /** Called with the body sent, for each response with the expected status. */
  onExpected?: (sentBody: string) => void;
}

export interface LoadResult extends LatencySummary {
  seconds: number;
  /** Responses received, whatever their status. */
  responses: number;
  /** Responses with the expected status. */
  expected: number;
  /** What the expected responses stand for (requests, or events of batches). */
  items: number;
  itemsPerSecond: number;
  /** Responses with another status, by status. */
  unexpected: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
}

interface RequestContext {
  sentBody?: string;
}

/**
 * Sends `spec` with autocannon for `spec.seconds` over `spec.connections` keep-alive connections.
 * Latencies are every response's own time (autocannon's `response` event, in fractional ms), not its
 * whole-millisecond histogram, so that sub-millisecond figures stay meaningful.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const unexpected: Record<string, number> = {};
  let expected = 0;
  let items = 0;
  const request: autocannon.Request = {
    method: spec.method,
    path: spec.path,
    setupRequest: (req, context) => {
      if (spec.body === undefined) return req;
      const sentBody = spec.body();
      (context as RequestContext).sentBody = sentBody;
      return { ...req, body: sentBody };
    },
    onResponse: (status, body, context) => {
      if (status !== spec.expectedStatus) {
        unexpected[status] = (unexpected[status] ?? 0) + 1;
        return;
      }
      expected += 1;
      items += spec.itemsOf === undefined ? 1 : spec.itemsOf(body);
      const { sentBody } = context as RequestContext;
      if (spec.onExpected !== undefined && sentBody !== undefined) spec.onExpected(sentBody);
    },
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections,
        duration: spec.seconds,
        timeout: RESPONSE_TIMEOUT_SECONDS,
        headers: { 'content-type': 'application/json' },
        requests: [request],
      },
      (error: unknown, done: autocannon.Result) => (error === null || error === undefined ? resolve(done) : reject(error)),
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => latenciesMs.push(responseTimeMs));
  });
  return {
    ...summarizeLatencies(latenciesMs),
    seconds: result.duration,
    responses: latenciesMs.length,
    expected,
    items,
    itemsPerSecond: items / result.duration,
    unexpected,
    errors: result.errors,
  };
}

/** A load result's problems, for the report: statuses other than the expected one and connection errors. */
export function loadProblems(result: LoadResult): string | undefined {
  const statuses = Object.entries(result.unexpected).map(([status, count]) => `${count}× ${status}`);
  if (result.errors > 0) statuses.push(`${result.errors} connection errors or timeouts`);
  return statuses.length === 0 ? undefined : statuses.join(', ');
}
