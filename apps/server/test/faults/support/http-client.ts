import { Agent, type IncomingHttpHeaders, request } from 'node:http';

/**
 * A JSON client over a fixed number of keep-alive connections (fetch's pool cannot be capped
 * without a dependency), with a deadline on every request so that a hang is an outcome the tests
 * see rather than a test that never ends.
 */
export type HttpAnswer =
  | { kind: 'answer'; status: number; headers: IncomingHttpHeaders; body: Record<string, any>; elapsedMs: number }
  | { kind: 'network'; message: string; elapsedMs: number };

export interface HttpClient {
  post(path: string, body: unknown): Promise<HttpAnswer>;
  get(path: string): Promise<HttpAnswer>;
  close(): void;
}

export interface HttpClientOptions {
  /** At most this many sockets to the server at once. */
  connections: number;
  /** A request not answered within this time is abandoned and reported as a network outcome. */
  timeoutMs: number;
}

/** Below Node's default server keepAliveTimeout (5 s). */
const IDLE_SOCKET_MS = 4_000;

export function createHttpClient(baseUrl: string, options: HttpClientOptions): HttpClient {
  // An idle socket is dropped after 4 s, before the server's 5 s keep-alive timeout closes it:
  // otherwise a request written just as the server closes its socket fails with ECONNRESET.
  // (For a socket in use the agent's timeout only emits an event nobody listens to.)
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, timeout: IDLE_SOCKET_MS });
  const send = (method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> => {
    const started = performance.now();
    const elapsedMs = () => Math.round(performance.now() - started);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      const req = request(
        new URL(path, baseUrl),
        {
          method,
          agent,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          signal: AbortSignal.timeout(options.timeoutMs),
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('error', (error) => resolve({ kind: 'network', message: error.message, elapsedMs: elapsedMs() }));
          res.on('end', () => resolve({ kind: 'answer', status: res.statusCode ?? 0, headers: res.headers, body: parseBody(text), elapsedMs: elapsedMs() }));
        },
      );
      req.on('error', (error: Error & { code?: string }) =>
        resolve({ kind: 'network', message: error.code ?? error.name ?? error.message, elapsedMs: elapsedMs() }),
      );
      req.end(payload);
    });
  };
  return {
    post: (path, body) => send('POST', path, body),
    get: (path) => send('GET', path),
    close: () => agent.destroy(),
  };
}

function parseBody(text: string): Record<string, any> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, any>) : { unparsed: text };
  } catch {
    return { unparsed: text };
  }
}
