import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/restaurants/res_001?currency=PEN`): the part after `#` never reaches the server,
 * and holds only what the page shows (ids, filters), never the key.
 */
export interface Route {
  /** Path segments after `#/`, decoded: `['restaurants', 'res_001']`. */
  parts: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?', 2);
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => decodeURIComponent(part));
  return { parts, query: new URLSearchParams(search) };
}

/** `href('restaurants', id)` + `{currency: 'PEN'}` → `#/restaurants/res_001?currency=PEN`. */
export function href(parts: string[], query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
  const search = params.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${search === '' ? '' : `?${search}`}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
