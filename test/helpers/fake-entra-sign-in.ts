import { request as httpsRequest } from 'node:https';
import type { TestUser } from '#infra/local/emulator/index.ts';

/** An HTTPS GET or form POST that trusts the fake Entra's CA; answers status, headers and text. */
export function entraRequest(
  url: string,
  ca: string,
  form?: Record<string, string>,
): Promise<{ status: number; location?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const req = httpsRequest(
      url,
      {
        method: form ? 'POST' : 'GET',
        ca,
        headers: form ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Signs `user` in on the fake Entra's form as a browser would: opens the authorization URL (the form must show),
 * then posts the form back with the request's parameters and the user's fields.
 * @returns where Entra redirects: the app's callback URL with `code` and `state`.
 */
export async function signInOnFakeEntra(
  authorizationUrl: string,
  ca: string,
  user: Omit<TestUser, 'label'>,
): Promise<URL> {
  const page = await entraRequest(authorizationUrl, ca);
  if (page.status !== 200 || !page.text.includes('<form method="post">')) {
    throw new Error(`The fake Entra showed no sign-in form (${page.status}): ${page.text.slice(0, 300)}`);
  }
  const url = new URL(authorizationUrl);
  const answer = await entraRequest(url.href, ca, {
    ...Object.fromEntries(url.searchParams),
    tid: user.tenantId,
    oid: user.objectId,
    name: user.name,
    email: user.email,
    groups: (user.groups ?? []).join(','),
  });
  if (answer.status !== 302 || !answer.location) {
    throw new Error(`The fake Entra did not redirect back (${answer.status}): ${answer.text.slice(0, 300)}`);
  }
  return new URL(answer.location);
}
