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
