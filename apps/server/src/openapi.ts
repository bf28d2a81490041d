import { ERROR_CODES, type ErrorCode } from '@restaurant-ledger/core';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { ERROR_HTTP } from './errors.ts';
import { appRouter, listProcedures } from './router.ts';
import type { LedgerMeta } from './trpc.ts';

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
          code: { type: 'string', enum: [...ERROR_CODES] },
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

const WEBHOOK_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({
  name,
  in: 'header' as const,
  required: false,
  schema: { type: 'string' as const },
  description: 'Standard Webhooks header; required when the server has LEDGER_WEBHOOK_SECRET set',
}));

function probe(summary: string, data: Json, unavailable: boolean): Json {
  return {
    get: {
      tags: ['operations'],
      summary,
      responses: {
        '200': success({ type: 'object', properties: data }, 'OK'),
        ...(unavailable && errorResponses(['SERVICE_UNAVAILABLE'])),
      },
    },
  };
}

/** The probes are plain express routes, not procedures, so they are described here by hand. */
const PROBE_PATHS = {
  '/metrics': {
    get: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text format); needs an API key when LEDGER_API_KEYS is set',
      security: [{ ApiKey: [] }],
      responses: {
        '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
        ...errorResponses(['AUTH_REQUIRED']),
      },
    },
  },
  '/health': probe('The process is up (no database call)', { status: { const: 'ok' } }, false),
  '/ready': probe(
    'The database answers; 503 while it does not',
    { status: { const: 'ready' }, database: { const: 'reachable' } },
    true,
  ),
};

function success(data: unknown, description: string): Json {
  return {
    description,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['success', 'data', 'meta'],
          properties: { success: { const: true }, data, meta: { $ref: '#/components/schemas/ResponseMeta' } },
        },
      },
    },
  };
}

const BODY_ERRORS: readonly ErrorCode[] = ['MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'VALIDATION_ERROR'];

/** The codes a route can answer: its own, plus those every route of its kind shares. */
function routeErrorCodes(meta: LedgerMeta & { openapi: NonNullable<LedgerMeta['openapi']> }): ErrorCode[] {
  const hasBody = meta.openapi.method === 'POST' || meta.openapi.method === 'PATCH';
  const codes: ErrorCode[] = [
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

function errorResponses(codes: readonly ErrorCode[]): Json {
  const byStatus = new Map<number, ErrorCode[]>();
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
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
}

/**
 * The OpenAPI document of the REST routes. trpc-to-openapi derives paths, parameters and schemas
 * from the procedures; the responses are then rewritten to what the edge really sends: the
 * envelope, 201 where a procedure creates, and the ledger error codes each route can return.
 */
export function buildOpenApiDocument(): OpenAPIObject {
  const document = generateOpenApiDocument(appRouter, {
    title: 'restaurant-ledger',
    version: '0.1.0',
    description:
      'Settlement ledger for restaurant payments. Every response is an envelope: `{success, data, meta}` or ' +
      '`{success: false, error: {code, message, details}, meta}`. Amounts are integers in minor units.',
    baseUrl: '/',
    securitySchemes: { ApiKey: { type: 'http', scheme: 'bearer', description: 'One of LEDGER_API_KEYS' } },
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
    const data = (operation.responses?.['200'] as Json | undefined)?.content as Json | undefined;
    const dataSchema = (data?.['application/json'] as Json | undefined)?.schema ?? {};
    operation.responses = {
      ...(meta.successStatus !== undefined
        ? {
            [String(meta.successStatus)]: success(dataSchema, meta.successStatus === 201 ? 'Created' : 'Accepted: the work happens in the background'),
            ...(meta.openapi.protect === false && { '200': success(dataSchema, 'Replay of a recorded event with the same content (`idempotent: true`); nothing written') }),
          }
        : { '200': success(dataSchema, 'OK') }),
      ...errorResponses(routeErrorCodes({ ...meta, openapi: meta.openapi })),
    };
    if (meta.openapi.protect === false) operation.parameters = [...(operation.parameters ?? []), ...WEBHOOK_HEADERS];
  }
  return document;
}
