import { SETTLEMENT_REPORT_HEADER } from '@restaurant-ledger/core';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { ERROR_HTTP } from './errors.ts';
import { ERROR_EXAMPLES, EXAMPLE_META, OPERATION_EXAMPLES, OPERATION_PARAMETER_EXAMPLES, PARAMETER_EXAMPLES } from './openapi-examples.ts';
import { appRouter, listProcedures } from './router.ts';
import type { LedgerMeta } from './trpc.ts';
import { WIRE_ERROR_CODES, type WireErrorCode } from './edge-errors.ts';

type Json = Record<string, unknown>;

const ENVELOPE_SCHEMAS: Record<string, Json> = {
  ResponseMeta: {
    type: 'object',
    required: ['timestamp', 'request_id'],
    properties: {
      timestamp: { type: 'string', format: 'date-time' },
      request_id: { type: 'string', description: 'Also sent as the x-request-id header; quote it when reporting a problem' },
    },
  },
  Error: {
    type: 'object',
    required: ['success', 'error', 'meta'],
    properties: {
      success: { const: false },
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: { type: 'string', enum: [...WIRE_ERROR_CODES] },
          message: { type: 'string' },
          details: { type: 'object', description: 'Machine-readable context; for VALIDATION_ERROR, `issues` names each field' },
        },
      },
      meta: { $ref: '#/components/schemas/ResponseMeta' },
    },
  },
};

const RATE_LIMIT_HEADERS = {
  'Retry-After': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
  RateLimit: { description: 'Remaining requests and seconds to reset (IETF draft-8)', schema: { type: 'string' } },
};

const SECURITY_SCHEMES = {
  ApiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'One of the keys in LEDGER_API_KEYS, sent as `Authorization: Bearer <key>` on every route but the webhooks, ' +
      'the probes /health and /ready, and the docs. A wrong or missing key is 401 AUTH_REQUIRED. A server started ' +
      'without keys (development only) accepts every request.',
  },
  WebhookSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'webhook-signature',
    description:
      'Standard Webhooks (https://www.standardwebhooks.com): the processor sends three headers. `webhook-id` is the ' +
      "message id, `webhook-timestamp` the send time in Unix seconds, and `webhook-signature` is `v1,` followed by the " +
      'base64 HMAC-SHA256, keyed with the base64-decoded part of LEDGER_WEBHOOK_SECRET after `whsec_`, of ' +
      '`{webhook-id}.{webhook-timestamp}.{raw body}` (several space-separated signatures are allowed while a secret ' +
      'rotates). A bad signature, or a timestamp more than 5 minutes away from the server clock, is 401 ' +
      'WEBHOOK_SIGNATURE_INVALID and writes nothing. Required in production; a server started without a secret ' +
      '(development only) accepts unsigned events.',
  },
};

const API_KEY_SECURITY = [{ ApiKey: [] }];
const WEBHOOK_SECURITY = [{ WebhookSignature: [] }];

/** The other two Standard Webhooks headers; the signature itself is the WebhookSignature scheme. */
const WEBHOOK_HEADERS = [
  { name: 'webhook-id', description: 'Standard Webhooks message id: part of the signed content' },
  { name: 'webhook-timestamp', description: 'Standard Webhooks send time in Unix seconds; refused when more than 5 minutes from the server clock' },
].map(({ name, description }) => ({
  name,
  in: 'header' as const,
  required: false,
  schema: { type: 'string' as const },
  example: PARAMETER_EXAMPLES[name],
  description: `${description}. Required when the server has LEDGER_WEBHOOK_SECRET set (always, in production)`,
}));

/** Codes any route can answer before it is reached: the node HTTP parser's own refusals. */
const TRANSPORT_CODES: readonly WireErrorCode[] = ['MALFORMED_REQUEST', 'HEADERS_TOO_LARGE'];

function probe(operationId: string, summary: string, description: string, data: Json, codes: readonly WireErrorCode[]): Json {
  return {
    get: {
      operationId,
      tags: ['operations'],
      summary,
      description,
      security: [],
      responses: {
        '200': success(operationId, '200', { type: 'object', required: Object.keys(data), properties: data }, 'OK'),
        ...errorResponses([...TRANSPORT_CODES, ...codes]),
      },
    },
  };
}

/** The probes are plain express routes, not procedures, so they are described here by hand. */
const PROBE_PATHS = {
  '/metrics': {
    get: {
      operationId: 'probes-metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics',
      description: 'Prometheus text exposition format. Needs an API key when LEDGER_API_KEYS is set, like the /v1 routes.',
      security: API_KEY_SECURITY,
      responses: {
        '200': {
          description: 'Prometheus text exposition format',
          content: {
            'text/plain': {
              schema: { type: 'string' },
              example: '# HELP ledger_events_total Processor events by type and outcome\n# TYPE ledger_events_total counter\n' +
                'ledger_events_total{event_type="charge_succeeded",outcome="created"} 1\n',
            },
          },
        },
        ...errorResponses([...TRANSPORT_CODES, 'AUTH_REQUIRED', 'INTERNAL_ERROR']),
      },
    },
  },
  '/health': probe('probes-health', 'Liveness: the process is up', 'Answers without touching the database. Needs no credentials.', { status: { const: 'ok' } }, []),
  '/ready': probe(
    'probes-ready',
    'Readiness: the database answers',
    'Checks the database on every call; 503 SERVICE_UNAVAILABLE while it does not answer or the server is shutting down. Needs no credentials.',
    { status: { const: 'ready' }, database: { const: 'reachable' } },
    ['SERVICE_UNAVAILABLE'],
  ),
};

function success(operationId: string, status: string, data: unknown, description: string): Json {
  const example = OPERATION_EXAMPLES[operationId]?.responses[status];
  if (example === undefined) throw new Error(`no example of ${operationId} ${status}: add one to openapi-examples.ts`);
  return {
    description,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['success', 'data', 'meta'],
          properties: { success: { const: true }, data, meta: { $ref: '#/components/schemas/ResponseMeta' } },
        },
        example: { success: true, data: example, meta: EXAMPLE_META },
      },
    },
  };
}

const BODY_ERRORS: readonly WireErrorCode[] = ['MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'VALIDATION_ERROR'];

/** The codes a route can answer: its own, plus those every route of its kind shares. */
function routeErrorCodes(meta: RouteMeta): WireErrorCode[] {
  const hasBody = meta.openapi.method === 'POST' || meta.openapi.method === 'PATCH';
  const codes: WireErrorCode[] = [
    ...TRANSPORT_CODES,
    ...(meta.openapi.protect !== false ? (['AUTH_REQUIRED'] as const) : []),
    ...(hasBody ? BODY_ERRORS : []),
    // Every input is validated, query parameters included (unknown ones are refused).
    'VALIDATION_ERROR',
    'RATE_LIMITED',
    ...(meta.errorCodes ?? []),
    'SERVICE_UNAVAILABLE',
    'INTERNAL_ERROR',
  ];
  return [...new Set(codes)];
}

function errorResponses(codes: readonly WireErrorCode[]): Json {
  const byStatus = new Map<number, WireErrorCode[]>();
  for (const code of codes) {
    const { status } = ERROR_HTTP[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      String(status),
      {
        description: group.join(', '),
        ...(status === ERROR_HTTP.RATE_LIMITED.status && { headers: RATE_LIMIT_HEADERS }),
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/Error' },
            examples: Object.fromEntries(
              group.map((code) => [code, { summary: code, value: { success: false, error: { code, ...ERROR_EXAMPLES[code] }, meta: EXAMPLE_META } }]),
            ),
          },
        },
      },
    ]),
  );
}

const STATEMENT_CSV_EXAMPLE =
  'entry_id,entry_type,amount,occurred_at,available_at,event_id,payout_id,running_balance\n' +
  '1,sale,12000,2025-12-20T15:10:00.000Z,2025-12-27T15:10:00.000Z,evt_0001,,12000\n' +
  '2,fee,-600,2025-12-20T15:10:00.000Z,2025-12-27T15:10:00.000Z,evt_0001,,11400\n';

/** The statement's 200 also streams CSV (apps/server/src/http/statement-csv.ts answers it before tRPC). */
const STATEMENT_CSV_CONTENT = {
  schema: { type: 'string', description: 'RFC 4180 CSV with a header line; an event_id starting like a spreadsheet formula is prefixed with \'' },
  example: STATEMENT_CSV_EXAMPLE,
};

type Operation = NonNullable<NonNullable<OpenAPIObject['paths']>[string]['get']>;
type RouteMeta = LedgerMeta & { openapi: NonNullable<LedgerMeta['openapi']> };

/**
 * The OpenAPI document of the REST routes. trpc-to-openapi derives paths, parameters and schemas
 * from the procedures; the responses are then rewritten to what the edge really sends: the
 * envelope, 201 where a procedure creates, the ledger error codes each route can return, each
 * route's security, and examples that name the objects of one story (openapi-examples.ts).
 */
export function buildOpenApiDocument(): OpenAPIObject {
  const document = generateOpenApiDocument(appRouter, {
    title: 'restaurant-ledger',
    version: '0.1.0',
    description:
      'Settlement ledger for restaurant payments. Every response is an envelope: `{success, data, meta}` or ' +
      '`{success: false, error: {code, message, details}, meta}`. Amounts are integers in minor units. Paged routes ' +
      'answer `next_cursor`: pass it back unchanged, with the same filters, as `cursor`; any other cursor is 422 ' +
      'CURSOR_INVALID.',
    baseUrl: '/',
    securitySchemes: SECURITY_SCHEMES as NonNullable<Parameters<typeof generateOpenApiDocument>[1]['securitySchemes']>,
  });
  // trpc-to-openapi adds schemas for tRPC's own error shape; the edge never sends that shape.
  const schemas = Object.fromEntries(
    Object.entries(document.components?.schemas ?? {}).filter(([name]) => !name.startsWith('error.')),
  );
  document.components = { ...document.components, schemas: { ...schemas, ...ENVELOPE_SCHEMAS } };
  document.paths = { ...document.paths, ...PROBE_PATHS };
  for (const { meta } of listProcedures()) {
    if (meta?.openapi === undefined) continue;
    const operation = document.paths?.[meta.openapi.path]?.[meta.openapi.method.toLowerCase() as 'get'];
    if (operation === undefined) throw new Error(`no OpenAPI operation for ${meta.openapi.path}`);
    describeOperation(operation, { ...meta, openapi: meta.openapi });
  }
  shareProcessorEventSchema(document);
  return document;
}

/** What a 200 means on a route that creates (201): a webhook replay, or what the route's meta says. */
function replayDescription(meta: RouteMeta): string | undefined {
  if (meta.replayDescription !== undefined) return meta.replayDescription;
  return meta.openapi.protect === false ? 'Replay of a recorded event with the same content (`idempotent: true`); nothing written' : undefined;
}

/** A settlement report's body is the CSV file itself (the REST route hands its text to the procedure as `csv`). */
function csvRequestBody(operationId: string): NonNullable<Operation['requestBody']> {
  const example = OPERATION_EXAMPLES[operationId]?.request;
  if (typeof example !== 'string') throw new Error(`no CSV example of ${operationId}: add one to openapi-examples.ts`);
  return {
    required: true,
    description: `A processor settlement report: UTF-8 CSV whose first line is exactly \`${SETTLEMENT_REPORT_HEADER}\`, then one row per settled item`,
    content: { 'text/csv': { schema: { type: 'string', minLength: 1 }, example } },
  };
}

function describeOperation(operation: Operation, meta: RouteMeta): void {
  const operationId = operation.operationId ?? '';
  if (meta.openapi.description === undefined) throw new Error(`${operationId} has no description`);
  const data = (operation.responses?.['200'] as Json | undefined)?.content as Json | undefined;
  const dataSchema = (data?.['application/json'] as Json | undefined)?.schema ?? {};
  const ok = (status: string, description: string) => ({ [status]: success(operationId, status, dataSchema, description) });
  operation.responses = {
    ...(meta.successStatus !== undefined
      ? {
          ...ok(String(meta.successStatus), meta.successStatus === 201 ? 'Created' : 'Accepted: the work happens in the background'),
          ...(replayDescription(meta) !== undefined && ok('200', replayDescription(meta) ?? '')),
        }
      : ok('200', 'OK')),
    ...errorResponses(routeErrorCodes(meta)),
  };
  if (operationId === 'restaurants-statement') {
    (operation.responses['200'] as { content: Json }).content['text/csv'] = STATEMENT_CSV_CONTENT;
  }
  operation.security = meta.openapi.protect === false ? WEBHOOK_SECURITY : API_KEY_SECURITY;
  const parameters = [...(operation.parameters ?? []), ...(meta.openapi.protect === false ? WEBHOOK_HEADERS : [])];
  const examples = { ...PARAMETER_EXAMPLES, ...OPERATION_PARAMETER_EXAMPLES[operationId] };
  operation.parameters = parameters.map((parameter) =>
    'name' in parameter && examples[parameter.name] !== undefined ? { ...parameter, example: examples[parameter.name] } : parameter,
  );
  if (meta.requestMediaType === 'text/csv') operation.requestBody = csvRequestBody(operationId);
  const body = (operation.requestBody as { content?: Record<string, Json> } | undefined)?.content?.['application/json'];
  const request = OPERATION_EXAMPLES[operationId]?.request;
  if (body !== undefined && request !== undefined) body.example = request;
}

/**
 * The batch route's items point at #/components/schemas/ProcessorEvent, but trpc-to-openapi inlines
 * request bodies: the single route's body becomes that component, and both routes refer to it.
 */
function shareProcessorEventSchema(document: OpenAPIObject): void {
  const single = document.paths?.['/v1/processor/events']?.post?.requestBody as { content: Record<string, Json> } | undefined;
  const body = single?.content['application/json'];
  if (body?.schema === undefined) throw new Error('the event route has no request body');
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ProcessorEvent: body.schema as Json } };
  body.schema = { $ref: '#/components/schemas/ProcessorEvent' };
}
