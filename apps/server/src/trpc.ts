import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { RequestContext } from './context.ts';
import type { WireErrorCode } from './edge-errors.ts';
import { ERROR_HTTP, errorBody, toLedgerError, toTRPCError } from './errors.ts';

/** Procedure metadata beyond the OpenAPI route: what the generated document should promise. */
export type LedgerMeta = OpenApiMeta<{
  /** Success status when the call creates (201) or queues (202) something; a webhook replay still answers 200. */
  successStatus?: 201 | 202;
  /** Ledger error codes this route can answer with, documented in /openapi.json. */
  errorCodes?: readonly WireErrorCode[];
  /**
   * The REST body's media type when it is not JSON: `text/csv` hands the body's text to the
   * procedure as `{ csv }` (the SDK sends that object itself).
   */
  requestMediaType?: 'text/csv';
  /** When a repeated call answers 200 instead of successStatus: what that 200 means (documented in /openapi.json). */
  replayDescription?: string;
}>;

const t = initTRPC
  .context<RequestContext>()
  .meta<LedgerMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const ledgerError = toLedgerError(error);
      // The SDK's typed error carries the same stable code and details as the REST envelope.
      return {
        ...shape,
        message: ledgerError.message,
        data: {
          ...errorBody(ledgerError),
          httpStatus: ERROR_HTTP[ledgerError.code].status,
          path: shape.data.path,
        },
      };
    },
  });

/** Turns ledger and validation errors into tRPC errors with the mapped code, whichever layer threw. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const ledgerError = toLedgerError(result.error);
  if (ledgerError.code === 'INTERNAL_ERROR') return result;
  throw toTRPCError(ledgerError);
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(mapErrors);

/** Every route but the webhooks, /health and the docs: needs an API key when keys are configured. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  ctx.checkApiKey(ctx.headers);
  return next();
});

/**
 * Webhook routes. Over REST (the processor's route) the Standard Webhooks signature over the raw
 * body is the credential; over tRPC (internal services replaying events) the API key is, and tRPC
 * is closed to events while signatures are required but no API key is configured.
 * Runs before input validation, so an unsigned request learns nothing about its body.
 */
export const webhookProcedure = publicProcedure.use(async ({ ctx, next, getRawInput }) => {
  if (ctx.transport === 'rest') ctx.checkWebhookSignature(ctx.rawBody, ctx.headers);
  else ctx.checkInternalIngest(ctx.headers);
  // The body as the processor sent it, before defaults: stored beside the parsed event.
  return next({ ctx: { rawPayload: await getRawInput() } });
});

/** 201 for what a call created, 200 for a replay (`idempotent: true`) of one it created before. */
export function createdUnlessReplay<T extends { idempotent: boolean }>(ctx: RequestContext, result: T): T {
  if (!result.idempotent) ctx.response.status = 201;
  return result;
}
