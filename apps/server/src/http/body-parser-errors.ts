import { EdgeError, isWireError } from '../edge-errors.ts';

interface BodyParserError {
  type?: unknown;
  limit?: unknown;
}

/** What body-parser's failures mean for a client; anything else is not a body problem. */
export function bodyParserError(error: unknown): EdgeError | undefined {
  if (isWireError(error) || typeof error !== 'object' || error === null) return undefined;
  if (isDecompressionError(error)) {
    return new EdgeError('MALFORMED_JSON', 'The request body could not be decompressed as its content-encoding says', {
      reason: 'bad_content_encoding',
    });
  }
  switch ((error as BodyParserError).type) {
    case 'entity.parse.failed':
      return notJson();
    case 'entity.too.large': {
      const limit = (error as BodyParserError).limit;
      return new EdgeError('PAYLOAD_TOO_LARGE', `The request body exceeds ${String(limit)} bytes`, { limit_bytes: limit });
    }
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new EdgeError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 application/json');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new EdgeError('MALFORMED_JSON', 'The request body could not be read');
    default:
      return undefined;
  }
}

/** A body that does not parse as JSON, or (strict) is not an object or array. */
export function notJson(): EdgeError {
  return new EdgeError('MALFORMED_JSON', 'The request body is not valid JSON (or not an object or array)');
}

/**
 * zlib's failure on a body that is not what its content-encoding says (gzip, deflate, br): the
 * body-parser passes it on untyped, so it is recognised by zlib's own codes (Z_DATA_ERROR,
 * Z_BUF_ERROR, and brotli's ERR__ERROR_FORMAT_… / ERR_BROTLI_…).
 */
function isDecompressionError(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI)/.test(code);
}
