import { requestTrusting } from './https-fetch.ts';

/**
 * A minimal `fetch` for GET requests that trusts an extra certificate authority. The local marketplace emulator's
 * fake Entra serves its keys over HTTPS with a self-signed certificate; Node's global fetch can only be told about
 * extra CAs at process start (NODE_EXTRA_CA_CERTS), so jose's `customFetch` hook gets this instead. In AWS no CA is
 * configured and jose uses the global fetch.
 */
export function fetchTrusting(ca: string) {
  return (url: string, options: { headers?: Headers; signal?: AbortSignal }): Promise<Response> => {
    const headers: Record<string, string> = {};
    options.headers?.forEach((value, name) => {
      headers[name] = value;
    });
    return requestTrusting(url, { method: 'GET', headers, ca, ...(options.signal ? { signal: options.signal } : {}) });
  };
}
