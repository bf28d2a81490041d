import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { formatMoney, formatTimestamp, type MinorUnits } from './format.ts';
import { href } from './router.ts';

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'ready'; data: T };

/** Runs `load` whenever a dependency changes; a stale answer (the page moved on) is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    load().then(
      (data) => current && setLoaded({ state: 'ready', data }),
      (error: unknown) => current && setLoaded({ state: 'error', error: asApiError(error) }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return loaded;
}

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'CONSOLE_ERROR', String(error), null);
}

/** Loading, or the error in a box, or the children built from the data. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p class="loading" role="status">Loading…</p>;
  if (loaded.state === 'error') return <ErrorBox error={loaded.error} />;
  return <>{children(loaded.data)}</>;
}

export function ErrorBox({ error }: { error: ApiError }) {
  return (
    <div class="error" role="alert" data-code={error.code}>
      <strong>{error.code}</strong> {error.message}
      {error.requestId !== null && <span class="request-id"> (request id {error.requestId})</span>}
    </div>
  );
}

/** An amount, with its exact minor units kept in data-minor for anyone checking the digits. */
export function Money({ amount, currency }: { amount: MinorUnits; currency: string }) {
  const negative = String(amount).startsWith('-');
  return (
    <span class={negative ? 'money negative' : 'money'} data-minor={String(amount)} data-currency={currency}>
      {formatMoney(amount, currency)}
    </span>
  );
}

export function Time({ iso }: { iso: string | null }) {
  return iso === null ? <span class="muted">—</span> : <time dateTime={iso}>{formatTimestamp(iso)}</time>;
}

export function Status({ value }: { value: string }) {
  return <span class={`status status-${value}`}>{value}</span>;
}

export function PageTitle({ children }: { children: ComponentChildren }) {
  return <h1>{children}</h1>;
}

/** A "next page" button for cursor pages: shown while the API says there is more. */
export function MoreButton({ cursor, onMore, label = 'Load more' }: { cursor: string | null; onMore: () => void; label?: string }) {
  if (cursor === null) return <p class="muted end">End of list.</p>;
  return (
    <button type="button" class="more" onClick={onMore}>
      {label}
    </button>
  );
}

/**
 * Fetches cursor pages one after another, appending their items, as the user asks for more. A change
 * of `deps` (the filters) starts again from the first page.
 */
export function usePages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>,
  deps: unknown[],
): { loaded: Loaded<T[]>; cursor: string | null; more: () => void } {
  const key = JSON.stringify(deps);
  const [asked, setAsked] = useState<{ key: string; cursor: string | undefined }>({ key, cursor: undefined });
  const cursor = asked.key === key ? asked.cursor : undefined;
  const [pages, setPages] = useState<{ items: T[]; next: string | null; loaded: Loaded<T[]> }>({
    items: [],
    next: null,
    loaded: { state: 'loading' },
  });
  useEffect(() => {
    let current = true;
    if (cursor === undefined) setPages({ items: [], next: null, loaded: { state: 'loading' } });
    fetchPage(cursor).then(
      (page) => {
        if (!current) return;
        setPages((before) => {
          const items = cursor === undefined ? page.items : [...before.items, ...page.items];
          return { items, next: page.next_cursor, loaded: { state: 'ready', data: items } };
        });
      },
      (error: unknown) => current && setPages((before) => ({ ...before, loaded: { state: 'error', error: asApiError(error) } })),
    );
    return () => {
      current = false;
    };
  }, [key, cursor]);
  return {
    loaded: pages.loaded,
    cursor: pages.next,
    more: () => {
      if (pages.next !== null) setAsked({ key, cursor: pages.next });
    },
  };
}

/** A list fed by `usePages`: loading or the error, an `empty` line, or the table, then "Load more". */
export function PagedList<T>({
  pages,
  empty,
  children,
}: {
  pages: ReturnType<typeof usePages<T>>;
  empty: ComponentChildren;
  children: (items: T[]) => ComponentChildren;
}) {
  return (
    <>
      <Show loaded={pages.loaded}>{(items) => (items.length === 0 ? <p class="muted">{empty}</p> : children(items))}</Show>
      {pages.loaded.state === 'ready' && <MoreButton cursor={pages.cursor} onMore={pages.more} />}
    </>
  );
}

/** Links filtering a list by status (`?status=`), "all" first; the current one marked. */
export function StatusFilter({ label, parts, statuses, current }: { label: string; parts: string[]; statuses: readonly string[]; current: string | undefined }) {
  return (
    <nav class="filters" aria-label={label}>
      <a href={href(parts)} class={current === undefined ? 'active' : ''}>
        all
      </a>
      {statuses.map((value) => (
        <a key={value} href={href(parts, { status: value })} class={current === value ? 'active' : ''}>
          {value}
        </a>
      ))}
    </nav>
  );
}
