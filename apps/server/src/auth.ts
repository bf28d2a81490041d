import { createHash, timingSafeEqual } from 'node:crypto';
import { EdgeError } from './edge-errors.ts';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <key>` against the configured keys. Keys are compared as SHA-256
 * digests with timingSafeEqual, so neither a key's content nor its length leaks through timing.
 * @throws EdgeError AUTH_REQUIRED
 */
export function createApiKeyCheck(apiKeys: readonly string[]): (headers: Headers) => void {
  const accepted = apiKeys.map(digest);
  return (headers) => {
    if (accepted.length === 0) return;
    const header = headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const presented = match?.[1];
    if (presented === undefined) {
      throw new EdgeError('AUTH_REQUIRED', 'Send an API key as Authorization: Bearer <key>');
    }
    const presentedDigest = digest(presented);
    // Compare against every key (no early exit) so the position of a match does not leak either.
    const ok = accepted.reduce((found, key) => timingSafeEqual(key, presentedDigest) || found, false);
    if (!ok) throw new EdgeError('AUTH_REQUIRED', 'The API key is not valid');
  };
}

/**
 * The credential for recording events through tRPC (internal services), where no signature over
 * the raw body is possible: an API key. With webhook signatures required but no API keys
 * configured, tRPC would be an unsigned way around the signature check, so it is closed instead.
 * @throws EdgeError AUTH_REQUIRED
 */
export function createInternalIngestCheck(apiKeys: readonly string[], webhookSecrets: readonly string[]): (headers: Headers) => void {
  const checkApiKey = createApiKeyCheck(apiKeys);
  const closed = apiKeys.length === 0 && webhookSecrets.length > 0;
  return (headers) => {
    if (closed) {
      throw new EdgeError(
        'AUTH_REQUIRED',
        'Webhook signatures are required and no API key is configured: send events to POST /v1/processor/events signed, or configure LEDGER_API_KEYS to record them through /trpc',
      );
    }
    checkApiKey(headers);
  };
}

/**
 * Verifies Standard Webhooks signatures (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
 * HMAC-SHA256 over `id.timestamp.body`) over the raw body. The standardwebhooks library compares in
 * constant time, refuses timestamps more than 5 minutes away and accepts any of several signatures
 * in the header; several configured secrets allow rotating the secret without downtime.
 * @throws EdgeError WEBHOOK_SIGNATURE_INVALID
 */
export function createWebhookCheck(secrets: readonly string[]): (rawBody: Buffer | undefined, headers: Headers) => void {
  const verifiers = secrets.map((secret) => new Webhook(secret));
  return (rawBody, headers) => {
    if (verifiers.length === 0) return;
    const signatureHeaders = {
      'webhook-id': headerValue(headers['webhook-id']),
      'webhook-timestamp': headerValue(headers['webhook-timestamp']),
      'webhook-signature': headerValue(headers['webhook-signature']),
    };
    let reason = 'no signature matches';
    for (const verifier of verifiers) {
      try {
        verifier.verify(rawBody ?? '', signatureHeaders, { jsonParse: false });
        return;
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
        reason = describeFailure(error.message);
        if (reason !== 'no signature matches') break; // headers or timestamp: the same for every secret
      }
    }
    throw new EdgeError('WEBHOOK_SIGNATURE_INVALID', `Webhook signature rejected: ${reason}`, { reason });
  };
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(' ') : (value ?? '');
}

function describeFailure(libraryMessage: string): string {
  if (/missing/i.test(libraryMessage)) return 'missing webhook-id, webhook-timestamp or webhook-signature header';
  if (/too old|too new|invalid signature headers/i.test(libraryMessage)) {
    return 'webhook-timestamp is missing, malformed or more than 5 minutes from now';
  }
  return 'no signature matches';
}
