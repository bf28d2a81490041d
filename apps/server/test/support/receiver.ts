import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  webhookId: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How the receiver answers one request: a status after a delay, or never (it hangs until closed). */
export type Answer = { status: number; delayMs?: number } | 'hang';

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  /** Answers for the next requests, in turn; when none is left, `fallback`. */
  script: Answer[];
  fallback: Answer;
  close(): Promise<void>;
}

/** A real subscriber: a node:http server on 127.0.0.1 that logs every request and answers as scripted. */
export async function startReceiver(fallback: Answer = { status: 200 }): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const receiver: Omit<Receiver, 'url' | 'close'> = { received, script: [], fallback };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ webhookId: String(req.headers['webhook-id']), headers: req.headers, body, at: Date.now() });
      const answer = receiver.script.shift() ?? receiver.fallback;
      if (answer === 'hang') return;
      setTimeout(() => {
        res.statusCode = answer.status;
        res.end(answer.status < 300 ? 'ok' : `failing on purpose (${answer.status})`);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks/ledger`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as Receiver;
}
