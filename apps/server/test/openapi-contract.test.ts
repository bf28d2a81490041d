import { projectOutboundEvents } from '@restaurant-ledger/core';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/openapi.ts';
import { EXAMPLE_DISPUTE_EVENT, OPERATION_EXAMPLES } from '../src/openapi-examples.ts';
import { pollUntil } from './support/server-process.ts';
import { bin, QUIET_TOOLS_ENV, run, SERVER_DIR, writeGeneratedDocument } from './support/openapi-tools.ts';
import { EXAMPLE_EVENT, newWebhookSecret, request, signedHeaders, startTestServer, type TestServer } from './support/test-server.ts';

/**
 * The contract run: Portman turns the OpenAPI document into a Postman collection with contract tests
 * (status, content-type, JSON body, schema, headers) for every operation and fuzzing variations
 * (required fields missing, numbers and lengths out of bounds) that must answer a documented 422;
 * newman sends it to a live server whose database holds exactly the objects the examples name.
 */
const require = createRequire(import.meta.url);
const newman = require('newman') as { run(options: object, done: (error: Error | null, summary: NewmanSummary) => void): void };

interface NewmanExecution {
  request: { method: string; url: { getPath(): string; toString(): string } };
  response?: { code: number; headers: { get(name: string): string | undefined } };
  item: { name: string };
}
interface NewmanSummary {
  run: {
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } };
    timings: { started: number; completed: number };
    failures: Array<{ error: { message: string; test?: string }; source?: { name?: string } }>;
    executions: NewmanExecution[];
  };
}

const API_KEY = 'key_contract_run';
const WEBHOOK_SECRET = newWebhookSecret();
/** Portman converts in a few seconds and newman sends about a hundred requests: well under this. */
const CONTRACT_RUN_TIMEOUT_MS = 180_000;

let server: TestServer;

/** The story of openapi-examples.ts: evt_0001 recorded, paid out by run 1 as payout 1, disputed (dp_0001), its settlement report imported. */
async function seedTheExamples(): Promise<void> {
  const auth = { authorization: `Bearer ${API_KEY}` };
  // Subscription 1 (payouts, to hooks.example.com) and 2 (the one the contract run disables).
  const subscribe = OPERATION_EXAMPLES['subscriptions-create']?.request as Record<string, unknown>;
  expect((await request(`${server.url}/v1/subscriptions`, { body: subscribe, headers: auth })).body.data.subscription_id).toBe('1');
  expect((await request(`${server.url}/v1/subscriptions`, { body: { ...subscribe, description: 'old dashboard' }, headers: auth })).status).toBe(201);
  const body = JSON.stringify(EXAMPLE_EVENT);
  const event = await request(`${server.url}/v1/processor/events`, { rawBody: body, headers: signedHeaders(body, WEBHOOK_SECRET) });
  expect(event.status).toBe(201);
  const run = await request(`${server.url}/v1/payouts/run`, { body: { currency: 'PEN', as_of: '2025-12-27', min_amount: 5000 }, headers: auth });
  expect(run.body.data.run_id).toBe('1');
  await pollUntil('the seeded payout run', 20_000, async () => {
    const answer = await request(`${server.url}/v1/payouts/runs/1`, { headers: auth });
    return answer.body.data.status === 'completed' ? answer : undefined;
  });
  expect((await request(`${server.url}/v1/payouts/1`, { headers: auth })).body.data).toMatchObject({ restaurant_id: 'res_001', amount: 11400 });
  const dispute = JSON.stringify(EXAMPLE_DISPUTE_EVENT);
  expect((await request(`${server.url}/v1/processor/events`, { rawBody: dispute, headers: signedHeaders(dispute, WEBHOOK_SECRET) })).status).toBe(201);
  // Reconciliation 1: the documented settlement report (payout 1 is still created here, so it is reported not paid).
  const report = await request(`${server.url}/v1/reconciliations`, {
    rawBody: OPERATION_EXAMPLES['reconciliations-import']?.request as string,
    headers: { ...auth, 'content-type': 'text/csv' },
  });
  expect(report.status).toBe(201);
  expect(report.body.data.reconciliation_id).toBe('1');
  // Delivery 1 of subscription 1: payout 1's payout.created (no deliverer runs here: it stays pending).
  await projectOutboundEvents(server.ledger);
  await projectOutboundEvents(server.ledger);
  const deliveries = await request(`${server.url}/v1/subscriptions/1/deliveries`, { headers: auth });
  expect(deliveries.body.data.items[0]).toMatchObject({ delivery_id: '1', event: { type: 'payout.created' } });
}

const CONTRACT_DIR = join(SERVER_DIR, 'test', 'contract');

/**
 * Runs Portman in a temporary folder (it writes working files where it runs), with the committed
 * config whose script paths (relative to apps/server) are made absolute.
 */
async function buildCollection(): Promise<string> {
  const { dir, file } = writeGeneratedDocument();
  const config = readFileSync(join(CONTRACT_DIR, 'portman-config.json'), 'utf8').replaceAll('file:test/contract/', `file:${CONTRACT_DIR}/`);
  writeFileSync(join(dir, 'portman-config.json'), config);
  const collection = join(dir, 'collection.json');
  await run(
    bin('portman'),
    ['-l', file, '-b', server.url, '-c', 'portman-config.json', '-s', join(CONTRACT_DIR, 'postman-config.json'), '-o', collection],
    { cwd: dir, env: QUIET_TOOLS_ENV, maxBuffer: 16 * 1024 * 1024 },
  );
  return collection;
}

function runNewman(collection: string): Promise<NewmanSummary> {
  return new Promise((resolve, reject) =>
    newman.run(
      {
        collection: JSON.parse(readFileSync(collection, 'utf8')),
        envVar: [
          { key: 'bearerToken', value: API_KEY },
          { key: 'webhookSecret', value: WEBHOOK_SECRET },
        ],
        reporters: [],
        timeoutRequest: 10_000,
      },
      (error, summary) => (error === null ? resolve(summary) : reject(error)),
    ),
  );
}

/** Each response's status must be one its operation documents (matched by method and path template). */
function undocumentedStatuses(executions: readonly NewmanExecution[]): string[] {
  const operations = Object.entries(buildOpenApiDocument().paths ?? {}).flatMap(([template, methods]) =>
    Object.entries(methods ?? {}).map(([method, operation]) => ({
      method: method.toUpperCase(),
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      template,
      statuses: Object.keys((operation as { responses: object }).responses),
    })),
  );
  return executions.flatMap(({ request: sent, response, item }) => {
    const path = sent.url.getPath();
    const operation = operations.find((candidate) => candidate.method === sent.method && candidate.pattern.test(path));
    if (operation === undefined) return [`${item.name}: ${sent.method} ${path} is no documented operation`];
    if (response === undefined) return [`${item.name}: no response`];
    return operation.statuses.includes(String(response.code)) ? [] : [`${item.name}: ${response.code} is not documented for ${sent.method} ${operation.template}`];
  });
}

beforeAll(async () => {
  server = await startTestServer({
    apiKeys: [API_KEY],
    webhookSecrets: [WEBHOOK_SECRET],
    ledger: { outbound: { allowedHosts: ['hooks.example.com'] } },
  });
  await seedTheExamples();
});
afterAll(() => server?.close());

describe('the OpenAPI contract run (Portman + newman against a live server)', () => {
  it('covers every documented operation with no failed assertion, no 5xx and no undocumented status', { timeout: CONTRACT_RUN_TIMEOUT_MS }, async () => {
    const summary = await runNewman(await buildCollection());
    const { stats, timings, failures, executions } = summary.run;
    console.log(
      `contract run: ${stats.requests.total} requests, ${stats.assertions.total} assertions, ${stats.assertions.failed} failed assertions, ` +
        `${stats.requests.failed} failed requests, ${timings.completed - timings.started} ms`,
    );
    expect(failures.map((failure) => `${failure.source?.name}: ${failure.error.test ?? ''} ${failure.error.message}`)).toEqual([]);
    expect(executions.filter((execution) => (execution.response?.code ?? 500) >= 500).map((execution) => execution.item.name)).toEqual([]);
    expect(undocumentedStatuses(executions)).toEqual([]);
    const covered = new Set(executions.map(({ request: sent }) => `${sent.method} ${sent.url.getPath()}`));
    const documented = Object.values(buildOpenApiDocument().paths ?? {}).flatMap((methods) => Object.keys(methods ?? {})).length;
    expect(covered.size).toBeGreaterThanOrEqual(documented);
    // The statement's documented second media type was really asked for and answered.
    const csv = executions.filter(({ request: sent }) => sent.url.getPath().endsWith('/statement') && sent.url.toString().includes('format=csv'));
    expect(csv.map((execution) => execution.response?.headers.get('content-type'))).toEqual(['text/csv; charset=utf-8']);
  });
});
