import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { EdgeError } from '../edge-errors.ts';
import type { Logger } from 'pino';
import { ERROR_HTTP } from '../errors.ts';
import { errorEnvelope } from './envelope.ts';

/**
 * Requests Node's HTTP parser refuses before express sees them (a malformed request line or
 * header, headers over Node's size limit) are answered in the envelope too, with a request id in
 * the body, the header and the log line, instead of Node's bare `400 Bad Request`.
 */
export function answerClientErrorsInEnvelope(server: Server, logger: Logger): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const ledgerError =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new EdgeError('HEADERS_TOO_LARGE', 'The request headers are too large')
        : new EdgeError('MALFORMED_REQUEST', 'The request is not valid HTTP/1.1', { reason: error.code ?? 'unknown' });
    const requestId = randomUUID();
    const { status } = ERROR_HTTP[ledgerError.code];
    const body = JSON.stringify(errorEnvelope(ledgerError, requestId));
    logger.warn({ request_id: requestId, code: error.code, status }, 'refused a request the HTTP parser could not read');
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
