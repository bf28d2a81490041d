import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { OUTBOUND_EXCERPT_CHARS_MAX } from '../limits.ts';
import type { AttemptOutcome } from './outbound.schema.ts';
import { admitHost, hostOf, isPrivateAddress } from './outbound-url.ts';

/** What one POST to a subscriber did. */
export interface SendResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
}

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowedHosts: readonly string[];
  /** Aborted when the server shuts down: the attempt is `interrupted` and retried at once. */
  signal: AbortSignal;
}

class RefusedAddress extends Error {}

/** A DNS lookup that refuses private and loopback addresses (for hosts admitted by a pattern only). */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 4);
    const refused = addresses.find((address) => isPrivateAddress(address.address));
    if (refused !== undefined || addresses.length === 0) {
      return callback(new RefusedAddress(`${hostname} resolves to ${refused?.address ?? 'nothing'}, a private or loopback address`), '', 4);
    }
    if (options.all) return callback(null, addresses as unknown as string, 0);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
};

/**
 * POSTs one signed event. Never throws: every failure is a result the delivery log keeps. Redirects
 * are not followed (a 3xx is a failed attempt), so the allow-list cannot be walked around.
 */
export function sendEvent(request: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const finish = (outcome: AttemptOutcome, statusCode: number | null, error: string | null, excerpt: string | null): SendResult => ({
    outcome,
    statusCode,
    error: error === null ? null : error.slice(0, OUTBOUND_EXCERPT_CHARS_MAX),
    responseExcerpt: excerpt,
    durationMs: Math.max(0, Math.round(performance.now() - started)),
  });
  const url = new URL(request.url);
  const admission = admitHost(hostOf(url), request.allowedHosts);
  if (admission === 'refused') {
    return Promise.resolve(finish('refused_address', null, `the host ${hostOf(url)} is no longer in LEDGER_OUTBOUND_ALLOWED_HOSTS`, null));
  }
  // An IP literal needs no lookup, so the lookup's check would not see it.
  if (admission === 'pattern' && isIP(hostOf(url)) !== 0 && isPrivateAddress(hostOf(url))) {
    return Promise.resolve(finish('refused_address', null, `the address ${hostOf(url)} is private or loopback`, null));
  }
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const req = client.request(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body) },
      ...(admission === 'pattern' && { lookup: publicOnlyLookup }),
    });
    const timer = setTimeout(() => {
      done(finish('timeout', null, `no answer within ${request.timeoutMs} ms`, null));
      req.destroy();
    }, request.timeoutMs);
    const onAbort = () => {
      done(finish('interrupted', null, 'the server shut down during the attempt', null));
      req.destroy();
    };
    request.signal.addEventListener('abort', onAbort);
    req.on('error', (error) => {
      done(finish(error instanceof RefusedAddress ? 'refused_address' : 'network_error', null, error.message, null));
    });
    req.on('response', (res) => {
      let excerpt = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (excerpt.length < OUTBOUND_EXCERPT_CHARS_MAX) excerpt += chunk.slice(0, OUTBOUND_EXCERPT_CHARS_MAX - excerpt.length);
      });
      res.on('error', () => undefined);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        done(finish(ok ? 'delivered' : 'http_error', status, ok ? null : `HTTP ${status}`, excerpt.length > 0 ? excerpt : null));
      });
    });
    if (request.signal.aborted) onAbort();
    req.end(request.body);
  });
}
