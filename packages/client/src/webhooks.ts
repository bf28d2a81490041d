import { Webhook } from 'standardwebhooks';

export interface SignWebhookOptions {
  /** The signing secret the ledger server is configured with (`whsec_…`). */
  secret: string;
  /** The exact bytes to send: the signature covers the raw body, so send this string unchanged. */
  body: string;
  /** A unique message id; one is made up when absent. Keep it when redelivering the same message. */
  id?: string | undefined;
  /** When the message is signed; now when absent. The server refuses timestamps 5 minutes off. */
  timestamp?: Date | undefined;
}

/** The three Standard Webhooks headers a processor sends with the body. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs a webhook body the way POST /v1/processor/events verifies it (Standard Webhooks: HMAC-SHA256
 * over `id.timestamp.body`), for processors, relays and tests that send events over REST.
 */
export function signWebhook(options: SignWebhookOptions): WebhookHeaders {
  const id = options.id ?? `msg_${globalThis.crypto.randomUUID()}`;
  const timestamp = options.timestamp ?? new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(options.secret).sign(id, timestamp, options.body),
  };
}
