/**
 * The same-origin `/v1` API with the portal's session cookie. State-changing calls carry the session's CSRF token
 * from `<meta name="csrf-token">` (portal contract "CSRF").
 */

/** A refused call: the API's 4xx message says what to fix, and `field` (when given) which input it is about. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      // Every state-changing call carries the token, with a body or without (a POST that only asks for something).
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken() }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const error = (parsed as { error?: { message?: string; field?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.message ?? `${response.status} ${response.statusText}`, error?.field);
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const getJson = <T>(path: string): Promise<T> => call<T>('GET', path);
export const putJson = <T>(path: string, body: unknown): Promise<T> => call<T>('PUT', path, body);
export const postJson = <T>(path: string, body?: unknown): Promise<T> => call<T>('POST', path, body);

/** A path segment from an id (ids come from the page URL or the API, never trusted as path syntax). */
export const seg = (id: string): string => encodeURIComponent(id);

/**
 * The most items a page reads from one list: ten pages of 100 (the API's largest), enough for years of a customer's
 * alerts, and a bound on what one page load may fetch and draw.
 */
export const MAX_LIST_ITEMS = 1000;
/** The API's largest page. */
const PAGE_SIZE = 100;

/** A list read by `getAllPages`: `truncated` when it had more than it holds, and the rest was not read. */
export type ReadList<T> = readonly T[] & { readonly truncated?: true };

/**
 * Every item of a `/v1` list, following `nextCursor` (pages of 100, the API's largest), up to `max` items: the items
 * under `key` of each page. A list with more is cut at `max` and marked `truncated`, so the page can say that the rest
 * is not shown (`truncatedNote`). `path` may carry a query already.
 */
export async function getAllPages<Item>(
  path: string,
  key: string,
  max: number = MAX_LIST_ITEMS,
): Promise<ReadList<Item>> {
  const items: Item[] = [];
  const separator = path.includes('?') ? '&' : '?';
  // A page may come back short (or empty) with a cursor, so pages are bounded too, not only items: twice what full
  // pages would need.
  const maxPages = 2 * Math.ceil(max / PAGE_SIZE);
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await getJson<Record<string, unknown> & { readonly nextCursor?: string }>(
      `${path}${separator}limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    items.push(...((page[key] as readonly Item[] | undefined) ?? []));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && items.length < max && pages < maxPages);
  const list: Item[] & { truncated?: true } = items.slice(0, max);
  // More were read than fit, or the API says more follow: either way the list is not complete.
  if (items.length > max || cursor) list.truncated = true;
  return list;
}
