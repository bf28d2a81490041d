import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { DELIVERY_ATTEMPTS_MAX, loadEvents } from '../src/index.ts';
import { writeTempEvents } from './support/event-files.ts';

/** Short enough that a test retrying every attempt stays well under a second. */
const TEST_RETRY_BASE_DELAY_MS = 1;
const SECRET = `whsec_${Buffer.from('delivery test secret').toString('base64')}`;

type Handler = (request: IncomingMessage, body: string, requestNumber: number) => Promise<[number, unknown]> | [number, unknown];

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A stand-in for the ledger on a free port, answering with `handler`. */
async function fakeLedger(handler: Handler): Promise<string> {
  let requests = 0;
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      requests += 1;
      const [status, body] = await handler(request, Buffer.concat(chunks).toString('utf8'), requests);
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const address = listening.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

const created = (): [number, unknown] => [201, { success: true, data: { idempotent: false } }];
const failure = (status: number, code: string): [number, unknown] => [status, { success: false, error: { code, message: code.toLowerCase(), details: {} } }];
const eventLines = (count: number) =>
  Array.from({ length: count }, (_, i) => JSON.stringify({ event_id: `evt_d_${i}`, event_type: 'charge_succeeded', amount: 100 }));
const load = (url: string, lines: string[], extra: { concurrency?: number; webhookSecret?: string; apiKey?: string } = {}) =>
  loadEvents({ file: writeTempEvents(lines), url, checkBalances: false, retryBaseDelayMs: TEST_RETRY_BASE_DELAY_MS, ...extra });

describe('delivery', () => {
  it('retries 503 and 429 until the ledger answers, and counts the line once', async () => {
    const statuses = [503, 429];
    const url = await fakeLedger((_request, _body, n) => (n <= statuses.length ? failure(statuses[n - 1] ?? 503, 'SERVICE_UNAVAILABLE') : created()));
    const summary = await load(url, eventLines(1));
    expect(summary).toMatchObject({ linesRead: 1, created: 1, failed: 0 });
  });

  it('does not retry a 500, and lists the line as failed with its code', async () => {
    let requests = 0;
    const url = await fakeLedger(() => {
      requests += 1;
      return failure(500, 'INTERNAL_ERROR');
    });
    const summary = await load(url, eventLines(1));
    expect(requests).toBe(1);
    expect(summary.problems).toEqual([{ line: 1, outcome: 'failed', status: 500, code: 'INTERNAL_ERROR', message: 'internal_error' }]);
  });

  it(`gives up on a 503 after ${DELIVERY_ATTEMPTS_MAX} attempts and counts the line as failed`, async () => {
    let requests = 0;
    const url = await fakeLedger(() => {
      requests += 1;
      return failure(503, 'SERVICE_UNAVAILABLE');
    });
    const summary = await load(url, eventLines(1));
    expect(requests).toBe(DELIVERY_ATTEMPTS_MAX);
    expect(summary).toMatchObject({ failed: 1, problems: [{ line: 1, status: 503, code: 'SERVICE_UNAVAILABLE' }] });
  });

  it('counts a line as failed with NETWORK_ERROR when nothing answers', async () => {
    const url = await fakeLedger(created);
    const closedUrl = url;
    server?.close();
    server = undefined;
    const summary = await load(closedUrl, eventLines(2));
    expect(summary).toMatchObject({ linesRead: 2, failed: 2 });
    expect(summary.problems.map((p) => [p.line, p.status, p.code])).toEqual([
      [1, null, 'NETWORK_ERROR'],
      [2, null, 'NETWORK_ERROR'],
    ]);
  });

  it('never has more requests in flight than the concurrency asks for', async () => {
    let inFlight = 0;
    let inFlightMax = 0;
    const url = await fakeLedger(async () => {
      inFlight += 1;
      inFlightMax = Math.max(inFlightMax, inFlight);
      await sleep(10);
      inFlight -= 1;
      return created();
    });
    const summary = await load(url, eventLines(30), { concurrency: 4 });
    expect(summary.created).toBe(30);
    expect(inFlightMax).toBe(4);
  });

  it('sends lines with the same event_id one after another, in file order', async () => {
    const seen: string[] = [];
    const url = await fakeLedger(async (_request, body) => {
      seen.push(body);
      await sleep(5);
      return created();
    });
    const lines = ['{"event_id":"evt_same","n":1}', '{"event_id":"evt_same","n":2}', '{"event_id":"evt_same","n":3}'];
    await load(url, lines, { concurrency: 8 });
    expect(seen).toEqual(lines);
  });

  it('signs each body with Standard Webhooks headers and sends the API key as a bearer token', async () => {
    const verifier = new Webhook(SECRET);
    const url = await fakeLedger((request, body) => {
      const verified = verifier.verify(body, request.headers as Record<string, string>);
      expect(verified).toMatchObject({ event_id: 'evt_d_0' });
      expect(request.headers.authorization).toBe('Bearer key_d');
      return created();
    });
    const summary = await load(url, eventLines(1), { webhookSecret: SECRET, apiKey: 'key_d' });
    expect(summary).toMatchObject({ created: 1, failed: 0 });
  });

  it('refuses a concurrency outside 1 to 64 before sending anything', async () => {
    await expect(load('http://127.0.0.1:9', eventLines(1), { concurrency: 0 })).rejects.toThrow(/concurrency must be an integer from 1 to 64/);
    await expect(load('http://127.0.0.1:9', eventLines(1), { concurrency: 65 })).rejects.toThrow(RangeError);
  });
});
