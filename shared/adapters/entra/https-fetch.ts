/**
 * `fetch`-shaped functions that trust extra CAs, for the libraries that take a custom fetch (openid-client, jose):
 * Node's global `fetch` takes no `ca` option (it would need an undici dispatcher, which is not a dependency), so the
 * request goes through `node:https`, which does. Used only against the local fake Entra, whose certificate is
 * self-signed; production calls Microsoft with the global `fetch`.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CustomFetchOptions } from 'openid-client';

interface CaRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The CA certificates to trust (PEM), replacing Node's roots as `https.request`'s `ca` does; none: Node's. */
  readonly ca?: string | readonly string[];
  readonly signal?: AbortSignal | null;
}

/** One request over `node:http(s)`, answered as a fetch `Response`. */
export function requestTrusting(url: string, request: CaRequest): Promise<Response> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: request.method,
        headers: request.headers,
        ...(request.ca ? { ca: [request.ca].flat() } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: headersOf(res) })),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/**
 * openid-client's `customFetch` trusting `ca` (Node's roots when not given).
 * @returns a fetch that refuses any URL that is not HTTPS (tokens never travel in clear text).
 */
export function httpsFetch(ca?: string | readonly string[]) {
  return (url: string, options: CustomFetchOptions): Promise<Response> => {
    const protocol = new URL(url).protocol;
    if (protocol !== 'https:') {
      return Promise.reject(new Error(`Refusing to send Entra traffic over ${protocol} (${new URL(url).origin})`));
    }
    const body = options.body === undefined || options.body === null ? undefined : String(options.body);
    return requestTrusting(url, {
      method: options.method,
      headers: options.headers,
      ...(body === undefined ? {} : { body }),
      ...(ca ? { ca } : {}),
      signal: options.signal,
    });
  };
}

function headersOf(res: IncomingMessage): [string, string][] {
  return Object.entries(res.headers).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value] as [string, string]],
  );
}
