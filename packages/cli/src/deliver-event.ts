import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { ERROR_BODY_QUOTE_CHARS_MAX, REQUEST_TIMEOUT_MS, RETRY_DELAY_MAX_MS } from './limits.ts';

export type DeliveryResult =
  | { outcome: 'created' | 'duplicate'; status: number }
  | { outcome: 'conflict' | 'rejected' | 'failed'; status: number | null; code: string; message: string };

export interface DeliveryTarget {
  /** `{url}/v1/processor/events` */
  eventsUrl: string;
  apiKey: string | undefined;
  signer: Webhook | undefined;
  attemptsMax: number;
  retryBaseDelayMs: number;
}

/** Statuses that mean "not now" rather than "not this": the same body may succeed later. */
const RETRYABLE_STATUSES = new Set([429, 503]);

type Attempt = { kind: 'answer'; status: number; text: string; retryAfterMs: number | undefined } | { kind: 'network'; message: string };

/**
 * POSTs one body, retrying network errors, 503 and 429 with exponential backoff up to
 * `attemptsMax` attempts. Retrying is safe because the ledger is idempotent on event_id. Every
 * other answer is final. Never throws: every way a delivery can end is a result.
 */
export async function deliverEvent(target: DeliveryTarget, body: string, messageId: string): Promise<DeliveryResult> {
  let attempt: Attempt = { kind: 'network', message: 'not attempted' };
  for (let attemptNumber = 1; attemptNumber <= target.attemptsMax; attemptNumber += 1) {
    attempt = await postOnce(target, body, messageId);
    const retryable = attempt.kind === 'network' || RETRYABLE_STATUSES.has(attempt.status);
    if (!retryable || attemptNumber === target.attemptsMax) break;
    const retryAfterMs = attempt.kind === 'answer' ? attempt.retryAfterMs : undefined;
    await sleep(Math.min(RETRY_DELAY_MAX_MS, Math.max(backoffMs(target.retryBaseDelayMs, attemptNumber), retryAfterMs ?? 0)));
  }
  return classify(attempt, target.attemptsMax);
}

async function postOnce(target: DeliveryTarget, body: string, messageId: string): Promise<Attempt> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.apiKey !== undefined) headers.authorization = `Bearer ${target.apiKey}`;
  if (target.signer !== undefined) {
    // Signed afresh on every attempt: the server refuses timestamps more than 5 minutes old. The
    // webhook-id stays the same across attempts, as the Standard Webhooks spec asks.
    const now = new Date();
    headers['webhook-id'] = messageId;
    headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
    headers['webhook-signature'] = target.signer.sign(messageId, now, body);
  }
  try {
    const response = await fetch(target.eventsUrl, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { kind: 'answer', status: response.status, text, retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after')) };
  } catch (error) {
    return { kind: 'network', message: describeNetworkError(error) };
  }
}

function classify(attempt: Attempt, attemptsMax: number): DeliveryResult {
  if (attempt.kind === 'network') {
    return { outcome: 'failed', status: null, code: 'NETWORK_ERROR', message: `${attempt.message} (after ${attemptsMax} attempts)` };
  }
  const { status, text } = attempt;
  const envelope = parseJson(text);
  if (status === 201) return { outcome: 'created', status };
  if (status === 200 && isIdempotentReplay(envelope)) return { outcome: 'duplicate', status };
  const { code, message } = describeError(status, text, envelope);
  if (status === 409) return { outcome: 'conflict', status, code, message };
  if (status >= 400 && status < 500 && !RETRYABLE_STATUSES.has(status)) return { outcome: 'rejected', status, code, message };
  const suffix = RETRYABLE_STATUSES.has(status) ? ` (after ${attemptsMax} attempts)` : '';
  return { outcome: 'failed', status, code, message: `${message}${suffix}` };
}

function isIdempotentReplay(envelope: unknown): boolean {
  return readPath(envelope, ['data', 'idempotent']) === true;
}

/** The ledger's error code and message, with the details a reader needs to fix the line. */
function describeError(status: number, text: string, envelope: unknown): { code: string; message: string } {
  const code = readPath(envelope, ['error', 'code']);
  const message = readPath(envelope, ['error', 'message']);
  if (typeof code !== 'string' || typeof message !== 'string') {
    const quoted = text.replace(/\s+/g, ' ').trim().slice(0, ERROR_BODY_QUOTE_CHARS_MAX);
    const fallback = status === 200 ? 'a 200 that is not an idempotent replay' : `HTTP ${status}`;
    return { code: 'UNEXPECTED_RESPONSE', message: quoted === '' ? fallback : `${fallback}: ${quoted}` };
  }
  return { code, message: `${message}${describeDetails(readPath(envelope, ['error', 'details']), message)}` };
}

function describeDetails(details: unknown, message: string): string {
  // An issue that only repeats the headline message adds nothing but length.
  const issues = readPath(details, ['issues']);
  const extra = Array.isArray(issues) ? issues.filter((issue) => readPath(issue, ['message']) !== message) : [];
  if (extra.length > 0) {
    const parts = extra.map((issue) => `${String(readPath(issue, ['field']) ?? '?')}: ${String(readPath(issue, ['message']) ?? '?')}`);
    return ` (${parts.join('; ')})`;
  }
  const differing = readPath(details, ['differing_fields']);
  if (Array.isArray(differing)) return ` (differing fields: ${differing.join(', ')})`;
  const reason = readPath(details, ['reason']);
  return typeof reason === 'string' && reason !== '' ? ` (${reason})` : '';
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS} ms`;
  // fetch wraps the socket error; its code (ECONNREFUSED, ECONNRESET…) is what an operator needs.
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return `${cause.code}${typeof cause.message === 'string' ? `: ${cause.message}` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

function backoffMs(baseDelayMs: number, attemptNumber: number): number {
  // Jitter (50–100 % of the step) keeps concurrent workers from retrying in lockstep.
  return baseDelayMs * 2 ** (attemptNumber - 1) * (0.5 + Math.random() / 2);
}

function parseRetryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
