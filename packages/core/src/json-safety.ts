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
