/**
 * Rules for JSON that PostgreSQL must store exactly, checked without recursion so that hostile
 * nesting cannot overflow the stack of whoever checks it.
 */

/** NUL (text and jsonb cannot hold it) or a UTF-16 surrogate without its pair (jsonb refuses it). */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const UNSTORABLE_STRING_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

export function isStorableString(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/** Whether any object or array in `value` lies deeper than `depthMax` (the value itself is level 1). */
export function jsonDepthExceeds(value: unknown, depthMax: number): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || typeof node !== 'object') continue;
    if (depth > depthMax) return true;
    for (const child of Object.values(node)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

/** The dotted path of the first key or string value PostgreSQL could not store, if any. */
export function findUnstorableString(value: unknown): string | undefined {
  const stack: Array<{ node: unknown; path: string }> = [{ node: value, path: '' }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: string };
    if (typeof node === 'string') {
      if (!isStorableString(node)) return path;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    for (const [key, child] of Object.entries(node)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      if (!isStorableString(key)) return childPath;
      stack.push({ node: child, path: childPath });
    }
  }
  return undefined;
}

/** A JSON number literal: sign, integer digits, optional fraction, optional exponent. */
const NUMBER_LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** Beyond this decimal exponent a literal parses to Infinity or 0, which the schemas refuse anyway. */
const EXPONENT_CHECKED_MAX = 400;

/**
 * The first number literal in a JSON text that parsing would silently round to an integer, such as
 * `12000.0000000000001` (parses as 12000) or `9007199254740993` (parses as 9007199254740992).
 * JSON.parse gives no access to the source text in Node 20, so the text is scanned once, skipping
 * strings. Literals that parse to a non-integer are left to the schemas (no money field takes one).
 */
export function findRoundedNumber(jsonText: string): string | undefined {
  let index = 0;
  while (index < jsonText.length) {
    const char = jsonText[index];
    if (char === '"') {
      index = endOfString(jsonText, index);
      continue;
    }
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) {
      NUMBER_LITERAL.lastIndex = index;
      const literal = NUMBER_LITERAL.exec(jsonText)?.[0];
      if (literal === undefined) return undefined; // not JSON: the parser has refused it already
      if (parsesWithRounding(literal)) return literal;
      index += literal.length;
      continue;
    }
    index += 1;
  }
  return undefined;
}

function endOfString(text: string, openingQuote: number): number {
  let index = openingQuote + 1;
  while (index < text.length && text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
  return index + 1;
}

/** Whether the literal's exact value differs from the integer JSON.parse makes of it. */
function parsesWithRounding(literal: string): boolean {
  const parsed = Number(literal);
  if (!Number.isInteger(parsed)) return false;
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (match === null) return false;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  let digits = BigInt(`${whole}${fraction}`);
  if (digits === 0n) return false;
  if (sign === '-') digits = -digits;
  const exponent = Number(exponentText) - fraction.length;
  if (Math.abs(exponent) > EXPONENT_CHECKED_MAX) return true;
  const exact = exponent >= 0 ? { value: digits * 10n ** BigInt(exponent), whole: true } : splitDecimal(digits, -exponent);
  return !exact.whole || exact.value !== BigInt(parsed);
}

function splitDecimal(digits: bigint, decimals: number): { value: bigint; whole: boolean } {
  const scale = 10n ** BigInt(decimals);
  return { value: digits / scale, whole: digits % scale === 0n };
}
