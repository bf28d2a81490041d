import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/openapi.ts';
import { listProcedures } from '../src/router.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/**
 * Malformed input to every route: each REST route of the router (from its OpenAPI meta), the
 * probes, and every /trpc procedure by GET and POST. However bad the request, the answer is never
 * a 5xx, and it is always in the envelope (REST) or in tRPC's error shape (/trpc). A sweep sends
 * every known-bad value to every route; then fast-check combines them at random.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ payoutWorker: false });
});
afterAll(() => server.close());

const REST_ROUTES = listProcedures().flatMap(({ meta }) => (meta?.openapi === undefined ? [] : [meta.openapi]));
const PROBES = ['/health', '/ready', '/metrics', '/openapi.json'];
const PROCEDURES = listProcedures().map(({ path }) => path);

/** Path segments that are not valid percent-encoded UTF-8, or odd in other ways. */
const BAD_SEGMENTS = ['%FF', '%C0%AF', '%ED%A0%80', '%00', '%', '%%41', 'a%2Fb', '..', 'x'.repeat(4_000), '__proto__', 'constructor'];
const ODD_QUERY_NAMES = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'limit', 'cursor', 'currency', 'as_of', 'format'];
const ODD_QUERY_VALUES = ['0x10', '1e3', '-1', '', '1.5', 'NaN', 'Infinity', '9007199254740993', '%FF', '%00', 'x'.repeat(3_000)];
/** Bodies as bytes: not JSON, not UTF-8, not an object, prototype keys, too deep. */
const BAD_BODIES: readonly Buffer[] = [
  '{',
  '',
  'null',
  '[]',
  '"x"',
  '12',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{}}}',
  '{"restaurant_id":"other","name":"n"}',
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
  '{"amount":1e400}',
].map((text) => Buffer.from(text, 'utf8'));
const INVALID_UTF8 = [Buffer.from([0x7b, 0xff, 0x7d]), Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])];
const CONTENT_TYPES = ['application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', undefined];
const TRPC_INPUTS = ['garbage', '{', '%00', '{"json":', '[]', 'null', '{"0":{"json":1}}', 'x'.repeat(3_000)];

interface Probe {
  method: string;
  path: string;
  body?: Buffer;
  contentType?: string | undefined;
}

/** An OpenAPI path with each `{param}` replaced by `segment`. */
function fillPath(template: string, segment: string): string {
  return template.replace(/\{[^}]+\}/g, segment);
}

async function send(probe: Probe): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}${probe.path}`, {
    method: probe.method,
    headers: probe.contentType === undefined ? {} : { 'content-type': probe.contentType },
    ...(probe.body !== undefined && probe.method !== 'GET' && probe.method !== 'HEAD' && { body: probe.body }),
  });
  return { status: response.status, text: await response.text() };
}

/** Fails unless the answer is below 500 and in the shape its transport promises. */
async function expectProperAnswer(probe: Probe): Promise<void> {
  const { status, text } = await send(probe);
  const label = `${probe.method} ${probe.path.slice(0, 120)} (${probe.contentType ?? 'no content type'}) -> ${status} ${text.slice(0, 200)}`;
  expect(status, label).toBeLessThan(500);
  if (probe.method === 'HEAD' || status < 400) return;
  const body = JSON.parse(text) as Record<string, any>;
  if (probe.path.startsWith('/trpc/')) {
    expect(typeof body.error?.data?.code, label).toBe('string');
    expect(body.error.data.httpStatus, label).toBe(status);
  } else {
    expect(body, label).toMatchObject({ success: false, error: { code: expect.any(String), message: expect.any(String) } });
    expect(typeof body.meta?.request_id, label).toBe('string');
  }
}

/** Runs probes with a little concurrency, failing on the first bad answer. */
async function sweep(probes: readonly Probe[], concurrency = 8): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < probes.length) {
      const probe = probes[next++];
      if (probe !== undefined) await expectProperAnswer(probe);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function restProbes(): Probe[] {
  return REST_ROUTES.flatMap(({ method, path }) => {
    const valid = fillPath(path, 'fuzz_r1');
    const hasBody = method !== 'GET';
    return [
      ...BAD_SEGMENTS.map((segment) => ({ method, path: fillPath(path, segment), contentType: hasBody ? 'application/json' : undefined, body: Buffer.from('{}') })),
      ...(method === 'GET' ? BAD_SEGMENTS.slice(0, 3).map((segment) => ({ method: 'HEAD', path: fillPath(path, segment) })) : []),
      ...ODD_QUERY_NAMES.flatMap((name) => ODD_QUERY_VALUES.slice(0, 4).map((value) => ({ method, path: `${valid}?${name}=${value}`, contentType: 'application/json', body: Buffer.from('{}') }))),
      ...(hasBody ? [...BAD_BODIES, ...INVALID_UTF8].map((body) => ({ method, path: valid, contentType: 'application/json', body })) : []),
      ...(hasBody ? CONTENT_TYPES.map((contentType) => ({ method, path: valid, contentType, body: Buffer.from('{"a":1}') })) : []),
    ];
  });
}

function trpcProbes(): Probe[] {
  return PROCEDURES.flatMap((procedure) => [
    ...TRPC_INPUTS.map((input) => ({ method: 'GET', path: `/trpc/${procedure}?input=${input.startsWith('%') ? input : encodeURIComponent(input)}` })),
    ...[...BAD_BODIES, ...INVALID_UTF8].map((body) => ({ method: 'POST', path: `/trpc/${procedure}`, contentType: 'application/json', body })),
    { method: 'POST', path: `/trpc/${procedure}`, contentType: 'text/plain', body: Buffer.from('{}') },
  ]);
}

describe('every route, fed malformed input', () => {
  it('answers every known-bad path segment, query parameter, body and content type on every REST route with a 4xx in the envelope', async () => {
    await sweep([...restProbes(), ...PROBES.flatMap((path) => ODD_QUERY_NAMES.map((name) => ({ method: 'GET', path: `${path}?${name}=0x10` })))]);
  }, 30_000);

  it('answers malformed JSON in the input query and the body of every tRPC procedure with a 4xx in its error shape', async () => {
    await sweep(trpcProbes());
  }, 30_000);

  it('never answers 5xx to random combinations of them on any route', async () => {
    const routes = [...REST_ROUTES.map(({ method, path }) => ({ method, path })), ...PROBES.map((path) => ({ method: 'GET', path }))];
    const probe = fc.record({
      route: fc.constantFrom(...routes, ...PROCEDURES.map((p) => ({ method: 'POST', path: `/trpc/${p}` }))),
      segment: fc.constantFrom(...BAD_SEGMENTS, 'fuzz_r2'),
      query: fc.array(fc.tuple(fc.constantFrom(...ODD_QUERY_NAMES), fc.constantFrom(...ODD_QUERY_VALUES)), { maxLength: 3 }),
      body: fc.oneof(fc.constantFrom(...BAD_BODIES, ...INVALID_UTF8), fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))),
      contentType: fc.constantFrom(...CONTENT_TYPES),
    });
    await fc.assert(
      fc.asyncProperty(probe, async ({ route, segment, query, body, contentType }) => {
        const search = query.map(([name, value]) => `${name}=${value}`).join('&');
        await expectProperAnswer({ method: route.method, path: `${fillPath(route.path, segment)}${search === '' ? '' : `?${search}`}`, body, contentType });
      }),
      { numRuns: 300 },
    );
  }, 30_000);
});

/** Inputs that the REST bridge dropped or misread without a word, each now a 422 that names the field. */
describe('inputs the bridge would drop or misread', () => {
  const openApi = buildOpenApiDocument() as unknown as { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema?: { type?: string } }> }>> };
  const getRoutes = REST_ROUTES.filter(({ method }) => method === 'GET');

  async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, any> }> {
    const response = await fetch(`${server.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  function expectRefused(answer: { status: number; body: Record<string, any> }, field: string, label: string): void {
    expect(answer.status, `${label}: ${JSON.stringify(answer.body)}`).toBe(422);
    expect(answer.body.error.code, label).toBe('VALIDATION_ERROR');
    expect(answer.body.error.details.issues, label).toContainEqual(expect.objectContaining({ field }));
  }

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a %s query parameter on every GET route, as any unknown name', async (name) => {
    for (const { path } of getRoutes) {
      expectRefused(await json(`${fillPath(path, 'fuzz_r3')}?${name}=1`), name, `GET ${path}?${name}=1`);
    }
  });

  it('refuses a body field or query parameter that is also a path parameter instead of letting the path overwrite it', async () => {
    expect((await json('/v1/restaurants', { method: 'POST', body: JSON.stringify({ restaurant_id: 'res_fuzz_patch', name: 'Before' }) })).status).toBe(201);
    const patched = await json('/v1/restaurants/res_fuzz_patch', { method: 'PATCH', body: JSON.stringify({ restaurant_id: 'res_other', name: 'After' }) });
    expectRefused(patched, 'restaurant_id', 'PATCH with restaurant_id in the body');
    expect((await json('/v1/restaurants/res_fuzz_patch')).body.data.name).toBe('Before');
    for (const { path } of getRoutes.filter(({ path }) => path.includes('{restaurant_id}'))) {
      expectRefused(await json(`${fillPath(path, 'res_fuzz_patch')}?currency=PEN&restaurant_id=res_other`), 'restaurant_id', `GET ${path}?restaurant_id=`);
    }
  });

  it('reads numeric query parameters only as plain decimal digits (0x10, 1e1 and " 7" are refused)', async () => {
    const numeric = Object.entries(openApi.paths).flatMap(([path, methods]) =>
      (methods.get?.parameters ?? []).filter((p) => p.in === 'query' && (p.schema?.type === 'integer' || p.schema?.type === 'number')).map((p) => ({ path, name: p.name })),
    );
    expect(numeric.map(({ name }) => name)).toEqual(expect.arrayContaining(['limit', 'days', 'min_amount']));
    for (const { path, name } of numeric) {
      for (const value of ['0x10', '1e1', '%207', '-0']) {
        expectRefused(await json(`${fillPath(path, 'fuzz_r3')}?currency=PEN&${name}=${value}`), name, `GET ${path}?${name}=${value}`);
      }
    }
  });
});
