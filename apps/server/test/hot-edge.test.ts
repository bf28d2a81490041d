import { type IncomingMessage, request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimits } from '../src/edge-limits.ts';
import { hotRouteOf } from '../src/http/hot-edge.ts';
import { EXAMPLE_EVENT, newWebhookSecret, signedHeaders, startTestServer, type TestServer, type TestServerOptions } from './support/test-server.ts';

/**
 * The hot routes served from node:http (hot-edge.ts) answer exactly as express answers them
 * (hot-routes.ts): one table of requests, sent in the same order to a server with the node:http
 * path and to one without it, each over a database of its own, gives the same statuses, bodies
 * (request ids and the clock's times aside), headers, request summary lines and metrics. The table
 * holds what the node:http path takes and what it hands to express (HEAD, gzip, chunked, oversize,
 * other media types, conditional GETs), so a wrong judgement of which is which shows as well.
 */

interface Sent {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent without a content-length (transfer-encoding: chunked). */
  chunked?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Raw HTTP/1.1, so each request carries exactly the headers the table gives (and fetch adds none). */
function send(baseUrl: string, sent: Sent): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const body = sent.body === undefined ? undefined : Buffer.isBuffer(sent.body) ? sent.body : Buffer.from(sent.body, 'utf8');
    const headers: Record<string, string> = { ...sent.headers };
    if (body !== undefined && !sent.chunked) headers['content-length'] = String(body.length);
    const req = httpRequest({ host: url.hostname, port: url.port, method: sent.method ?? (body === undefined ? 'GET' : 'POST'), path: sent.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined && sent.chunked) {
      // Two chunks, so the body really is chunked.
      req.write(body.subarray(0, 1));
      req.end(body.subarray(1));
    } else {
      req.end(body);
    }
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Times the server's clock gives (meta.timestamp, a balance's as_of, an event's received_at): any ISO time after this test began. */
const startedAt = Date.now();
const isClockTime = (value: string): boolean => /^\d{4}-\d\d-\d\dT/.test(value) && Date.parse(value) >= startedAt - 60_000;

function normalise(value: unknown): unknown {
  if (typeof value === 'string') return UUID.test(value) ? '<uuid>' : isClockTime(value) ? '<now>' : value;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, normalise(v)]));
  return value;
}

/** What must be the same: status, body (normalised) and every header but the date and the ETag's hash. */
function comparable(answer: Answer): unknown {
  let body: unknown = answer.body;
  try {
    body = normalise(JSON.parse(answer.body));
  } catch {
    // Not JSON (a 304 has no body): compared as text.
  }
  const headers = Object.fromEntries(
    Object.entries(answer.headers)
      .filter(([name]) => name !== 'date')
      .map(([name, value]) => {
        if (name === 'etag') return [name, String(value).replace(/-[^"]+"$/, '-<hash>"')];
        if (name === 'x-request-id') return [name, UUID.test(String(value)) ? '<uuid>' : value];
        // Seconds to the window's end: the two servers may read the clock a second apart.
        if (name === 'ratelimit') return [name, String(value).replace(/t=\d+/g, 't=<s>')];
        if (name === 'retry-after' && answer.status === 429) return [name, '<s>'];
        return [name, value];
      }),
  );
  if (answer.status === 429 && typeof body === 'object' && body !== null) {
    body = JSON.parse(JSON.stringify(body).replace(/retry in \d+ s/, 'retry in <s> s').replace(/"retry_after_s":\d+/, '"retry_after_s":"<s>"'));
  }
  return { status: answer.status, headers, body };
}

/** Every line the server logs, kept for comparison. */
function capturingLogger(lines: Record<string, unknown>[]) {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'info' }, destination);
}

/** A request summary line, without what differs from run to run (time, pid, host, id, duration). */
function summaryOf(line: Record<string, unknown>): unknown {
  const { time: _time, pid: _pid, hostname: _hostname, request_id: requestId, duration_ms: _duration, ...rest } = line;
  return { ...rest, request_id: typeof requestId === 'string' && UUID.test(requestId) ? '<uuid>' : requestId };
}

/** Request counts by method, route and status, and event outcomes: the metrics both paths feed. */
async function countedMetrics(server: TestServer): Promise<string[]> {
  const text = await server.metrics.scrape();
  return text.split('\n').filter((line) => /^(http_request_duration_seconds_count|ledger_events_total)\{/.test(line));
}

interface Pair {
  fast: TestServer;
  express: TestServer;
  logs: { fast: Record<string, unknown>[]; express: Record<string, unknown>[] };
}

async function startPair(options: TestServerOptions): Promise<Pair> {
  const logs = { fast: [] as Record<string, unknown>[], express: [] as Record<string, unknown>[] };
  const fast = await startTestServer({ ...options, payoutWorker: false, hotEdge: true, logger: capturingLogger(logs.fast) });
  const express = await startTestServer({ ...options, payoutWorker: false, hotEdge: false, logger: capturingLogger(logs.express) });
  return { fast, express, logs };
}

/** Sends each request to both servers (one, then the other) and expects the same answer. */
async function expectSameAnswers(pair: Pair, table: readonly Sent[]): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  for (const sent of table) {
    const fromFast = await send(pair.fast.url, sent);
    const fromExpress = await send(pair.express.url, sent);
    expect(comparable(fromFast), sent.name).toEqual(comparable(fromExpress));
    statuses[sent.name] = fromFast.status;
  }
  // The summary lines are written when each response closes: give the last one a moment.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(pair.logs.fast.map(summaryOf)).toEqual(pair.logs.express.map(summaryOf));
  expect(await countedMetrics(pair.fast)).toEqual(await countedMetrics(pair.express));
  return statuses;
}

const json = (value: unknown): string => JSON.stringify(value);
const JSON_TYPE = { 'content-type': 'application/json' };
const event = (overrides: Record<string, unknown> = {}): string => json({ ...EXAMPLE_EVENT, ...overrides });
const WEBHOOK = '/v1/processor/events';
const BALANCE = '/v1/restaurants/res_001/balance';

describe('which requests node:http answers itself', () => {
  const takes = (method: string, url: string, headers: Record<string, string> = {}): string | undefined =>
    hotRouteOf({ method, url, headers } as IncomingMessage, 4096)?.route.procedure;
  const json = { 'content-type': 'application/json', 'content-length': '100' };

  it('takes the hot routes as clients usually send them', () => {
    expect(takes('POST', WEBHOOK, json)).toBe('events.ingest');
    expect(takes('POST', `${WEBHOOK}/?source=x`, { 'content-type': 'application/json; charset=UTF-8', 'content-length': '0' })).toBe('events.ingest');
    expect(takes('GET', `${BALANCE}?currency=PEN`)).toBe('restaurants.balance');
    expect(takes('GET', `${BALANCE}?currency=PEN`, { 'content-type': 'application/json' })).toBe('restaurants.balance');
  });

  it('hands to express what express alone answers as it should', () => {
    const handedOn: [string, string, Record<string, string>][] = [
      ['HEAD', `${BALANCE}?currency=PEN`, {}],
      ['GET', `${BALANCE}?currency=PEN`, { 'if-none-match': '*' }],
      ['GET', `${BALANCE}?currency=PEN`, { 'if-modified-since': 'Tue, 01 Dec 2026 00:00:00 GMT' }],
      ['GET', `${BALANCE}?currency=PEN`, { 'content-length': '0' }],
      ['GET', `${BALANCE}?currency=PEN`, { 'content-type': 'application/json; charset=latin1' }],
      ['POST', WEBHOOK, { ...json, 'content-encoding': 'gzip' }],
      ['POST', WEBHOOK, { ...json, 'content-encoding': 'identity' }],
      ['POST', WEBHOOK, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }],
      ['POST', WEBHOOK, { 'content-type': 'application/json' }],
      ['POST', WEBHOOK, { 'content-type': 'application/json', 'content-length': '4097' }],
      ['POST', WEBHOOK, { 'content-type': 'text/plain', 'content-length': '100' }],
      ['POST', WEBHOOK, { 'content-type': 'application/json; charset=latin1', 'content-length': '100' }],
      ['POST', WEBHOOK, { 'content-length': '100' }],
      ['POST', 'http://localhost/v1/processor/events', json],
      ['POST', '/V1/processor/events', json],
      ['POST', `${WEBHOOK}#x`, json],
      ['PUT', WEBHOOK, json],
      ['POST', '/v1/processor/events/batch', json],
      ['GET', '/v1/restaurants/res_001/statement?currency=PEN', {}],
    ];
    for (const [method, url, headers] of handedOn) expect(takes(method, url, headers), `${method} ${url} ${JSON.stringify(headers)}`).toBeUndefined();
  });
});

describe('the hot routes served from node:http', () => {
  describe('without credentials configured', () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair({ limits: { bodyBytesMax: 4096 } });
    });
    afterAll(async () => {
      await pair.fast.close();
      await pair.express.close();
    });

    it('answer every request of the table as express does', async () => {
      const deep = `{"a":${'['.repeat(40)}${']'.repeat(40)}}`;
      const statuses = await expectSameAnswers(pair, [
        { name: 'new event', path: WEBHOOK, headers: JSON_TYPE, body: event() },
        { name: 'replay', path: WEBHOOK, headers: JSON_TYPE, body: event() },
        { name: 'conflicting replay', path: WEBHOOK, headers: JSON_TYPE, body: event({ amount: 13000 }) },
        { name: 'given request id', path: WEBHOOK, headers: { ...JSON_TYPE, 'x-request-id': 'req-given-1' }, body: event({ event_id: 'evt_rid' }) },
        { name: 'unusable request id', path: WEBHOOK, headers: { ...JSON_TYPE, 'x-request-id': 'not ok!' }, body: event({ event_id: 'evt_rid' }) },
        { name: 'charset utf-8, media type in capitals', path: WEBHOOK, headers: { 'content-type': 'Application/JSON; charset="UTF-8"' }, body: event({ event_id: 'evt_cs' }) },
        { name: 'byte-order mark', path: WEBHOOK, headers: JSON_TYPE, body: `\ufeff${event({ event_id: 'evt_bom' })}` },
        { name: 'bad JSON', path: WEBHOOK, headers: JSON_TYPE, body: '{"event_id": ' },
        { name: 'a string, not an object', path: WEBHOOK, headers: JSON_TYPE, body: '"evt"' },
        { name: 'whitespace only', path: WEBHOOK, headers: JSON_TYPE, body: ' \n ' },
        { name: 'an array', path: WEBHOOK, headers: JSON_TYPE, body: '[1]' },
        { name: 'empty body', path: WEBHOOK, headers: JSON_TYPE, body: '' },
        { name: 'not UTF-8', path: WEBHOOK, headers: JSON_TYPE, body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) },
        { name: 'rounded number', path: WEBHOOK, headers: JSON_TYPE, body: event({ event_id: 'evt_round' }).replace('12000', '12000.0000000000001') },
        { name: 'too deep', path: WEBHOOK, headers: JSON_TYPE, body: deep },
        { name: '__proto__ in the body', path: WEBHOOK, headers: JSON_TYPE, body: event({ event_id: 'evt_proto' }).replace('{', '{"__proto__":{"x":1},') },
        { name: 'unknown field', path: WEBHOOK, headers: JSON_TYPE, body: event({ event_id: 'evt_unknown', surprise: 1 }) },
        { name: 'unknown event type', path: WEBHOOK, headers: JSON_TYPE, body: event({ event_id: 'evt_type', event_type: 'charge_maybe' }) },
        { name: 'unknown currency', path: WEBHOOK, headers: JSON_TYPE, body: event({ event_id: 'evt_cur', currency: 'XXX' }) },
        { name: 'fee above the amount', path: WEBHOOK, headers: JSON_TYPE, body: event({ event_id: 'evt_fee', fee: 999_999 }) },
        { name: 'oversize', path: WEBHOOK, headers: JSON_TYPE, body: event({ event_id: 'evt_big', metadata: { note: 'x'.repeat(5000) } }) },
        { name: 'wrong media type', path: WEBHOOK, headers: { 'content-type': 'text/plain' }, body: event({ event_id: 'evt_text' }) },
        { name: 'no media type', path: WEBHOOK, body: event({ event_id: 'evt_none' }) },
        { name: 'latin1 charset', path: WEBHOOK, headers: { 'content-type': 'application/json; charset=latin1' }, body: event({ event_id: 'evt_l1' }) },
        { name: 'gzip body', path: WEBHOOK, headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: gzipSync(event({ event_id: 'evt_gz' })) },
        { name: 'not gzip as it says', path: WEBHOOK, headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: event({ event_id: 'evt_gz2' }) },
        { name: 'unsupported encoding', path: WEBHOOK, headers: { ...JSON_TYPE, 'content-encoding': 'compress' }, body: event({ event_id: 'evt_cmp' }) },
        { name: 'chunked', path: WEBHOOK, headers: JSON_TYPE, body: event({ event_id: 'evt_chunked' }), chunked: true },
        { name: 'query name no object can hold', path: `${WEBHOOK}?__proto__=1`, headers: JSON_TYPE, body: event({ event_id: 'evt_q' }) },
        { name: 'other query name', path: `${WEBHOOK}?source=test`, headers: JSON_TYPE, body: event({ event_id: 'evt_q2' }) },
        { name: 'trailing slash', path: `${WEBHOOK}/`, headers: JSON_TYPE, body: event({ event_id: 'evt_slash' }) },
        { name: 'capital V1', path: '/V1/processor/events', headers: JSON_TYPE, body: event({ event_id: 'evt_case' }) },
        { name: 'capital Processor', path: '/v1/Processor/events', headers: JSON_TYPE, body: event({ event_id: 'evt_case2' }) },
        { name: 'absolute-form URL', path: 'http://localhost/v1/processor/events', headers: JSON_TYPE, body: event({ event_id: 'evt_abs' }) },
        { name: 'GET on the webhook', path: WEBHOOK },
        { name: 'PUT on the webhook', method: 'PUT', path: WEBHOOK, headers: JSON_TYPE, body: event() },
        { name: 'balance', path: `${BALANCE}?currency=PEN` },
        { name: 'balance, trailing slash', path: `${BALANCE}/?currency=PEN` },
        { name: 'balance, unknown restaurant', path: '/v1/restaurants/res_nobody/balance?currency=PEN' },
        { name: 'balance, no currency', path: BALANCE },
        { name: 'balance, unknown currency', path: `${BALANCE}?currency=XXX` },
        { name: 'balance, two currencies', path: `${BALANCE}?currency=PEN&currency=USD` },
        { name: 'balance, empty currency', path: `${BALANCE}?currency=` },
        { name: 'balance, as_of', path: `${BALANCE}?currency=PEN&as_of=2025-12-21T00:00:00Z` },
        { name: 'balance, bad as_of', path: `${BALANCE}?currency=PEN&as_of=yesterday` },
        { name: 'balance, unknown query name', path: `${BALANCE}?currency=PEN&colour=red` },
        { name: 'balance, path parameter in the query', path: `${BALANCE}?currency=PEN&restaurant_id=res_002` },
        { name: 'balance, bad percent-encoding', path: '/v1/restaurants/%FF/balance?currency=PEN' },
        { name: 'balance, encoded id', path: '/v1/restaurants/res%5F001/balance?currency=PEN' },
        { name: 'balance, capital B', path: '/v1/restaurants/res_001/Balance?currency=PEN' },
        { name: 'balance, HEAD', method: 'HEAD', path: `${BALANCE}?currency=PEN` },
        { name: 'balance, If-None-Match *', path: `${BALANCE}?currency=PEN`, headers: { 'if-none-match': '*' } },
        { name: 'balance, with a JSON body', path: `${BALANCE}?currency=PEN`, headers: JSON_TYPE, body: '{"restaurant_id":"res_002"}' },
        { name: 'balance, with content-length 0', path: `${BALANCE}?currency=PEN`, headers: { 'content-length': '0' } },
        { name: 'balance, JSON content type (as many clients send)', path: `${BALANCE}?currency=PEN`, headers: JSON_TYPE },
        { name: 'balance, UTF-8 text content type', path: `${BALANCE}?currency=PEN`, headers: { 'content-type': 'text/csv; charset=utf-8' } },
        { name: 'balance, with a latin1 content type', path: `${BALANCE}?currency=PEN`, headers: { 'content-type': 'text/plain; charset=latin1' } },
      ]);
      // The table does walk the paths it means to.
      expect(statuses).toMatchObject({
        'new event': 201,
        replay: 200,
        'conflicting replay': 409,
        'byte-order mark': 201,
        'bad JSON': 400,
        'an array': 422,
        'empty body': 422,
        'not UTF-8': 400,
        oversize: 413,
        'wrong media type': 415,
        'latin1 charset': 415,
        'gzip body': 201,
        'not gzip as it says': 400,
        'unsupported encoding': 415,
        chunked: 201,
        'query name no object can hold': 422,
        'trailing slash': 201,
        'capital V1': 404,
        balance: 200,
        'balance, unknown restaurant': 404,
        'balance, no currency': 422,
        'balance, bad percent-encoding': 422,
        'balance, HEAD': 200,
        'balance, If-None-Match *': 304,
        'balance, JSON content type (as many clients send)': 200,
        'balance, with a latin1 content type': 415,
      });
    });
  });

  describe('with API keys, webhook secrets, rate limits and a trusted proxy', () => {
    const secret = newWebhookSecret();
    const rateLimits: Partial<RateLimits> = { windowMs: 3_600_000, perApiKey: 3, perIp: 5, webhookPerIp: 4 };
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair({ apiKeys: ['key_a', 'key_b'], webhookSecrets: [secret], trustProxy: 1, limits: { rateLimits } });
    });
    afterAll(async () => {
      await pair.fast.close();
      await pair.express.close();
    });

    it('answer every request of the table as express does', async () => {
      const signed = (body: string, from: string, at?: Date): Sent['headers'] => ({
        ...JSON_TYPE,
        'x-forwarded-for': from,
        // One message id per body, so both servers receive the very same signed request.
        ...signedHeaders(body, secret, { id: `msg_${body.length}_${from}`, ...(at !== undefined && { at }) }),
      });
      const first = event({ event_id: 'evt_signed' });
      const second = event({ event_id: 'evt_signed_2' });
      const bearer = (key: string, from: string) => ({ authorization: `Bearer ${key}`, 'x-forwarded-for': from });
      // Signatures carry the time they were made; both servers see the same, made once.
      const table: Sent[] = [
        { name: 'signed', path: WEBHOOK, headers: signed(first, '10.0.0.1'), body: first },
        { name: 'signed replay', path: WEBHOOK, headers: signed(first, '10.0.0.1'), body: first },
        { name: 'unsigned', path: WEBHOOK, headers: { ...JSON_TYPE, 'x-forwarded-for': '10.0.0.1' }, body: second },
        { name: 'signed for another body', path: WEBHOOK, headers: signed(first, '10.0.0.1'), body: second },
        { name: 'webhook over its limit', path: WEBHOOK, headers: signed(second, '10.0.0.1'), body: second },
        { name: 'another client address', path: WEBHOOK, headers: signed(second, '10.0.0.2'), body: second },
        { name: 'stale signature', path: WEBHOOK, headers: signed(event({ event_id: 'evt_old' }), '10.0.0.3', new Date(Date.now() - 3_600_000)), body: event({ event_id: 'evt_old' }) },
        { name: 'balance without a key', path: `${BALANCE}?currency=PEN`, headers: { 'x-forwarded-for': '10.0.1.1' } },
        { name: 'balance with a wrong key', path: `${BALANCE}?currency=PEN`, headers: bearer('key_wrong', '10.0.1.1') },
        { name: 'balance', path: `${BALANCE}?currency=PEN`, headers: bearer('key_a', '10.0.1.1') },
        { name: 'balance 2', path: `${BALANCE}?currency=PEN`, headers: bearer('key_a', '10.0.1.1') },
        { name: 'balance 3', path: `${BALANCE}?currency=PEN`, headers: bearer('key_a', '10.0.1.1') },
        { name: 'key over its limit', path: `${BALANCE}?currency=PEN`, headers: bearer('key_a', '10.0.1.1') },
        { name: 'address over its limit', path: `${BALANCE}?currency=PEN`, headers: bearer('key_b', '10.0.1.1') },
        { name: 'another key and address', path: `${BALANCE}?currency=PEN`, headers: bearer('key_b', '10.0.1.2') },
        { name: 'balance over HEAD', method: 'HEAD', path: `${BALANCE}?currency=PEN`, headers: bearer('key_b', '10.0.1.3') },
      ];
      const statuses = await expectSameAnswers(pair, table);
      expect(statuses).toMatchObject({
        signed: 201,
        'signed replay': 200,
        unsigned: 401,
        'signed for another body': 401,
        'webhook over its limit': 429,
        'another client address': 201,
        'stale signature': 401,
        'balance without a key': 401,
        'balance with a wrong key': 401,
        balance: 200,
        'key over its limit': 429,
        'address over its limit': 429,
        'another key and address': 200,
      });
    });
  });
});
