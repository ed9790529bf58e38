/**
 * A `fetch` for openid-client that trusts extra CAs: Node's global `fetch` takes no `ca` option (it would need an
 * undici dispatcher, which is not a dependency), so the request goes through `node:https`, which does. Used only
 * against the local fake Entra, whose certificate is self-signed; production calls Microsoft with the global `fetch`.
 */
import { request as httpsRequest } from 'node:https';
import type { CustomFetchOptions } from 'openid-client';

/**
 * @param ca the CA certificates to trust (PEM), replacing Node's roots as `https.request`'s `ca` does; none: Node's.
 * @returns a fetch that refuses any URL that is not HTTPS (tokens never travel in clear text).
 */
export function httpsFetch(ca?: string | readonly string[]) {
  return (url: string, options: CustomFetchOptions): Promise<Response> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new Error(`Refusing to send Entra traffic over ${target.protocol} (${target.origin})`));
        return;
      }
      const body = options.body === undefined || options.body === null ? undefined : String(options.body);
      const req = httpsRequest(
        target,
        {
          method: options.method,
          headers: options.headers,
          ...(ca ? { ca: [ca].flat() } : {}),
          signal: options.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 500,
                headers: Object.entries(res.headers).flatMap(([name, value]) =>
                  value === undefined
                    ? []
                    : [[name, Array.isArray(value) ? value.join(', ') : value] as [string, string]],
                ),
              }),
            ),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}
