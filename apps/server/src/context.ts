import type { IncomingHttpHeaders } from 'node:http';
import type { LedgerContext } from '@restaurant-ledger/core';
import type { Logger } from 'pino';
import type { LedgerMetrics } from './metrics.ts';

/** Everything a request's procedures may use, built per request by the HTTP edge. */
export interface RequestContext extends LedgerContext {
  requestId: string;
  /** 'rest' for the OpenAPI routes (webhooks are signed there), 'trpc' for the SDK endpoint. */
  transport: 'rest' | 'trpc';
  headers: IncomingHttpHeaders;
  /** The body bytes exactly as received (REST only), for signature checks. */
  rawBody: Buffer | undefined;
  log: Logger;
  checkApiKey(headers: IncomingHttpHeaders): void;
  checkWebhookSignature(rawBody: Buffer | undefined, headers: IncomingHttpHeaders): void;
  /** Recording events through tRPC: an API key, and closed while signatures are required without keys. */
  checkInternalIngest(headers: IncomingHttpHeaders): void;
  /** Tells the payout worker a run was queued, so it starts at once instead of at its next poll. */
  wakePayoutWorker(): void;
  /** Tells the outbound deliverer a delivery is due (a replay), so it sends at once. Absent where none runs. */
  wakeOutboundDeliverer?(): void;
  metrics: LedgerMetrics;
  /** A procedure sets this to answer with another success status (201 for something new). */
  response: { status?: number };
}
