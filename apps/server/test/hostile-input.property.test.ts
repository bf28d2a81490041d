import { sql } from 'kysely';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWebhookSecret, signedHeaders, startTestServer, type TestServer } from './support/test-server.ts';

/**
 * Hostile input against a started server: generated bad bodies and headers sent to the webhook
 * and batch routes. Every answer must be a 4xx in the envelope (a batch whose shape is valid
 * answers 200 with a 4xx for each of its events), never a 5xx, and nothing may reach the database.
 */
const SECRET = newWebhookSecret();
const RUNS = 200;
const REQUESTS_PER_RUN = 50; // RUNS × REQUESTS_PER_RUN = 10,000 requests
const CONCURRENCY = 8;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ webhookSecrets: [SECRET], payoutWorker: false, poolSize: 12 });
});
afterAll(() => server.close());

type Json = unknown;

// ---- a valid event, to be broken -------------------------------------------------------------

const validEvent = fc.record({
  event_id: fc.stringMatching(/^[a-z0-9_]{1,24}$/).map((id) => `hostile_${id}`),
  event_type: fc.constantFrom('charge_succeeded', 'refund_succeeded'),
  occurred_at: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2025-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  restaurant_id: fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/),
  currency: fc.constantFrom('PEN', 'USD', 'EUR'),
  amount: fc.integer({ min: 1_000, max: 1_000_000_000 }),
  fee: fc.integer({ min: 0, max: 999 }),
  metadata: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 24 }), { maxKeys: 3 }),
});
type EventBody = Record<string, Json>;

const REQUIRED = ['event_id', 'event_type', 'occurred_at', 'restaurant_id', 'currency', 'amount'] as const;
const ALLOWED = new Set<string>([...REQUIRED, 'fee', 'metadata']);

/** JSON values that are not a valid amount or fee (0 is a valid fee, so it is not here). */
const badMinorUnits: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ max: -1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
  fc.constantFrom(2 ** 53, 2 ** 60, 1e300, -1e300, Number.MAX_VALUE),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const notAString: fc.Arbitrary<Json> = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
/** Unicode, spaces, controls, or too long: never an event_id (printable ASCII, at most 255). */
const badEventId = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => !/^[\x21-\x7e]+$/.test(s)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => !/^[\x21-\x7e]+$/.test(s)),
  fc.constant(''),
  fc.integer({ min: 256, max: 2_000 }).map((n) => 'e'.repeat(n)),
);
const badCurrency = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((s) => !/^[A-Z]{3}$/.test(s));
const badRestaurant = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s)),
  fc.integer({ min: 65, max: 500 }).map((n) => 'r'.repeat(n)),
);
const badOccurredAt = fc.oneof(
  fc.string({ maxLength: 30 }).filter((s) => !/^\d{4}-/.test(s)),
  fc.constantFrom('2999-01-01T00:00:00Z', '1999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '2025-13-01T00:00:00Z', '2025-12-20', '2025-12-20T25:00:00Z'),
  fc.integer(),
);
const unknownEventType = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !['charge_succeeded', 'refund_succeeded', 'payout_paid', 'payout_failed'].includes(s));
const nested = (depth: number, leaf: Json): Json => {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = { n: value };
  return value;
};
const badMetadata: fc.Arbitrary<Json> = fc.oneof(
  fc.array(fc.string(), { maxLength: 3 }),
  fc.string(),
  fc.integer(),
  fc.constant(null),
  fc.integer({ min: 17 * 1024, max: 24 * 1024 }).map((n) => ({ blob: 'x'.repeat(n) })),
  fc.integer({ min: 33, max: 60 }).map((depth) => nested(depth, 1)),
  fc.constantFrom({ note: 'a\u0000b' }, { 'k\u0000': 1 }, { note: '\ud800' }, { deep: { x: '\udfff' } }),
);

type Mutation = (event: EventBody) => EventBody;
const set = (field: string, value: Json): Mutation => (event) => ({ ...event, [field]: value });

/** Each mutation alone makes a valid event invalid. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...REQUIRED).map((field): Mutation => (event) => Object.fromEntries(Object.entries(event).filter(([key]) => key !== field))),
  fc.tuple(fc.constantFrom('amount', 'fee'), badMinorUnits).map(([field, value]) => set(field, value)),
  fc.tuple(fc.constantFrom('event_id', 'event_type', 'occurred_at', 'restaurant_id', 'currency'), notAString).map(([field, value]) => set(field, value)),
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }).filter((key) => !ALLOWED.has(key) && key !== '__proto__'), fc.jsonValue({ maxDepth: 2 })).map(([key, value]) =>
    set(key, value),
  ),
  badEventId.map((value) => set('event_id', value)),
  badCurrency.map((value) => set('currency', value)),
  badRestaurant.map((value) => set('restaurant_id', value)),
  badOccurredAt.map((value) => set('occurred_at', value)),
  unknownEventType.map((value) => set('event_type', value)),
  badMetadata.map((value) => set('metadata', value)),
  fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 1_000 })).map(
    ([amount, over]): Mutation => (event) => ({ ...event, event_type: 'charge_succeeded', amount, fee: amount + over }),
  ),
  fc.tuple(fc.constantFrom('payout_paid', 'payout_failed'), fc.integer({ min: 1, max: 1_000 })).map(
    ([type, fee]): Mutation => (event) => ({ ...event, event_type: type, fee }),
  ),
);

/** An event with one to three defects (the last one applied always remains). */
const invalidEvent: fc.Arbitrary<EventBody> = fc
  .tuple(validEvent, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([event, mutations]) => mutations.reduce<EventBody>((e, m) => m(e), event));

// ---- whole bodies ----------------------------------------------------------------------------

type Body = string | Uint8Array;

const junkBody: fc.Arbitrary<Body> = fc.oneof(
  fc.string({ maxLength: 200 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  fc.tuple(validEvent, fc.nat()).map(([event, cut]) => {
    const text = JSON.stringify(event);
    return text.slice(0, cut % text.length);
  }),
  fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)).map((value) => JSON.stringify(value) ?? 'null'),
  fc.integer({ min: 65, max: 3_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 65, max: 3_000 }).map((depth) => JSON.stringify(nested(depth, 'leaf'))),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, ...bytes])),
);

const singleBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 10, arbitrary: invalidEvent.map((event) => JSON.stringify(event)) },
  { weight: 1, arbitrary: fc.array(validEvent, { minLength: 1, maxLength: 3 }).map((events) => JSON.stringify(events)) },
  { weight: 3, arbitrary: junkBody },
);

const invalidItem: fc.Arbitrary<Json> = fc.oneof(
  { weight: 8, arbitrary: invalidEvent },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 })) },
);

const batchBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 8, arbitrary: fc.array(invalidItem, { minLength: 1, maxLength: 5 }).map((events) => JSON.stringify({ events })) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constant({ events: [] }),
      fc.constant({}),
      fc.tuple(validEvent, fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== 'events' && k !== '__proto__')).map(([e, key]) => ({ events: [e], [key]: 1 })),
      fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object({ maxDepth: 1 })).map((events) => ({ events })),
      validEvent.map((e) => ({ items: [e] })),
      fc.array(validEvent, { minLength: 1, maxLength: 2 }),
    ).map((body) => JSON.stringify(body)),
  },
  { weight: 1, arbitrary: fc.constant(JSON.stringify({ events: Array.from({ length: 1_001 }, () => 1) })) },
  { weight: 2, arbitrary: junkBody },
);

// ---- headers ---------------------------------------------------------------------------------

type SignatureMode = 'valid' | 'missing' | 'wrong_secret' | 'stale' | 'future' | 'garbage_timestamp' | 'other_body' | 'garbage_signature';
const signatureMode: fc.Arbitrary<SignatureMode> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('valid' as const) },
  { weight: 6, arbitrary: fc.constantFrom<SignatureMode>('missing', 'wrong_secret', 'stale', 'future', 'garbage_timestamp', 'other_body', 'garbage_signature') },
);
const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant<string | undefined>('application/json') },
  { weight: 1, arbitrary: fc.constantFrom<string | undefined>(undefined, 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'APPLICATION/JSON') },
);
/** Header values fetch can send: printable Latin-1 of any length up to 4 KiB. */
const junkHeaders = fc.dictionary(
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
  fc.string({ maxLength: 4_096 }).map((s) => s.replace(/[^\x20-\x7e]/g, '?').trim()),
  { maxKeys: 3 },
);

function signatureHeaders(mode: SignatureMode, body: Body): Record<string, string> {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('latin1');
  const minutes = (n: number) => new Date(Date.now() + n * 60_000);
  switch (mode) {
    case 'valid':
      return typeof body === 'string' ? signedHeaders(body, SECRET) : {};
    case 'missing':
      return {};
    case 'wrong_secret':
      return signedHeaders(text, newWebhookSecret());
    case 'stale':
      return signedHeaders(text, SECRET, { at: minutes(-10) });
    case 'future':
      return signedHeaders(text, SECRET, { at: minutes(10) });
    case 'garbage_timestamp':
      return { ...signedHeaders(text, SECRET), 'webhook-timestamp': 'yesterday' };
    case 'other_body':
      return signedHeaders(`${text} `, SECRET);
    case 'garbage_signature':
      return { ...signedHeaders(text, SECRET), 'webhook-signature': `v1,${'A'.repeat(2_000)}` };
  }
}

interface HostileRequest {
  route: 'single' | 'batch';
  body: Body;
  signature: SignatureMode;
  contentType: string | undefined;
  headers: Record<string, string>;
}

/** A badly signed request may carry a perfectly valid body: the signature alone must stop it. */
const hostileRequest: fc.Arbitrary<HostileRequest> = fc
  .record({ route: fc.constantFrom<'single' | 'batch'>('single', 'batch'), signature: signatureMode, contentType, headers: junkHeaders, validBody: fc.boolean(), event: validEvent })
  .chain(({ route, signature, contentType: type, headers, validBody, event }) => {
    const valid = route === 'single' ? JSON.stringify(event) : JSON.stringify({ events: [event] });
    const body = signature !== 'valid' && validBody ? fc.constant<Body>(valid) : route === 'single' ? singleBody : batchBody;
    return body.map((b) => ({ route, body: b, signature, contentType: type, headers }));
  });

// ---- sending and judging ---------------------------------------------------------------------

async function send(req: HostileRequest): Promise<{ status: number; text: string }> {
  const path = req.route === 'single' ? '/v1/processor/events' : '/v1/processor/events/batch';
  const headers: Record<string, string> = { ...req.headers, ...signatureHeaders(req.signature, req.body) };
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: req.body });
  return { status: response.status, text: await response.text() };
}

/** Returns what is wrong with the answer, or undefined when it is as promised. */
function judge(req: HostileRequest, status: number, text: string): string | undefined {
  let body: { success?: unknown; error?: { code?: unknown }; meta?: { request_id?: unknown }; data?: { results?: unknown[]; summary?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `not JSON (${status}): ${text.slice(0, 200)}`;
  }
  if (status >= 500) return `a ${status}: ${text.slice(0, 300)}`;
  if (status === 200 && req.route === 'batch') {
    const results = (body.data?.results ?? []) as Array<{ status?: number; success?: unknown; error?: { code?: unknown } }>;
    const accepted = results.filter((r) => typeof r.status !== 'number' || r.status < 400 || r.status > 499 || r.success !== false || typeof r.error?.code !== 'string');
    if (body.success !== true || results.length === 0 || accepted.length > 0) return `a batch result that is not all 4xx: ${text.slice(0, 300)}`;
    return undefined;
  }
  if (status < 400 || status > 499) return `status ${status}: ${text.slice(0, 300)}`;
  if (body.success !== false || typeof body.error?.code !== 'string' || typeof body.meta?.request_id !== 'string') return `not the error envelope: ${text.slice(0, 300)}`;
  return undefined;
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

const describeRequest = (req: HostileRequest) =>
  `${req.route} signature=${req.signature} content-type=${String(req.contentType)} body=${typeof req.body === 'string' ? req.body.slice(0, 300) : `<${req.body.length} bytes>`}`;

describe('hostile input to the webhook routes', () => {
  it(`answers ${RUNS * REQUESTS_PER_RUN} generated bad requests with 4xx in the envelope, never 5xx, and stores nothing`, async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(hostileRequest, { minLength: REQUESTS_PER_RUN, maxLength: REQUESTS_PER_RUN }), async (requests) => {
        const problems: string[] = [];
        await inParallel(requests, CONCURRENCY, async (req) => {
          const { status, text } = await send(req);
          sent += 1;
          const problem = judge(req, status, text);
          if (problem !== undefined) problems.push(`${problem}\n  for ${describeRequest(req)}`);
        });
        if (problems.length > 0) throw new Error(problems.join('\n'));
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(sent).toBeGreaterThanOrEqual(RUNS * REQUESTS_PER_RUN);
    const { rows } = await sql<Record<string, number>>`
      SELECT (SELECT count(*)::int FROM processor_events) AS events,
             (SELECT count(*)::int FROM ledger_entries) AS entries,
             (SELECT count(*)::int FROM restaurants) AS restaurants,
             (SELECT count(*)::int FROM payouts) AS payouts`.execute(server.testDb.db);
    expect(rows[0]).toEqual({ events: 0, entries: 0, restaurants: 0, payouts: 0 });
  }, 120_000);
});
