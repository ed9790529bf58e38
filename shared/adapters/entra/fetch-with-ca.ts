import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A minimal `fetch` for GET requests that trusts an extra certificate authority. The local marketplace emulator's
 * fake Entra serves its keys over HTTPS with a self-signed certificate; Node's global fetch can only be told about
 * extra CAs at process start (NODE_EXTRA_CA_CERTS), so jose's `customFetch` hook gets this instead. In AWS no CA is
 * configured and jose uses the global fetch.
 */
export function fetchTrusting(ca: string) {
  return (url: string, options: { headers?: Headers; signal?: AbortSignal }): Promise<Response> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const headers: Record<string, string> = {};
      options.headers?.forEach((value, name) => {
        headers[name] = value;
      });
      const req = send(target, { method: 'GET', headers, ca, signal: options.signal }, (res) => {
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
      });
      req.on('error', reject);
      req.end();
    });
}
