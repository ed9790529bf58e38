import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '#shared/env-names.ts';
import { openSession } from '#shared/http/session.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { signInOnFakeEntra } from '#test/helpers/fake-entra-sign-in.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { aSession, testSessionKeys } from '#test/helpers/session.ts';

type Handler = typeof import('#functions/portal/handler.ts')['handler'];

/** What API Gateway passes for a browser on our local origin (the fake Entra's registered loopback redirect). */
const ORIGIN = 'http://127.0.0.1:3000';
const browserHeaders = { host: '127.0.0.1:3000', 'x-forwarded-proto': 'http' };

/** `name=value` of a Set-Cookie line. */
const cookiePair = (line: string | undefined) => line?.split(';')[0] ?? '';

describe('the Portal function: sign-in with Microsoft, pages and assets', () => {
  let system: FunctionsWithEmulator;
  let handler: Handler;

  beforeAll(async () => {
    system = await startFunctionsWithEmulator();
    handler = asDeclaredFunction('Portal', (await import('#functions/portal/handler.ts')).handler);
  });
  afterAll(() => system?.stop());

  const get = async (path: string, headers: Record<string, string> = {}, event?: Partial<APIGatewayProxyEventV2>) =>
    (await handler(
      { ...httpEvent('GET', path, { headers: { ...browserHeaders, ...headers } }), ...event },
      aLambdaContext('Portal'),
    )) as APIGatewayProxyStructuredResultV2;

  const customer = () => {
    const preset = system.emulator.entra.signIn.users[0];
    if (!preset) throw new Error('The emulator offers no preset user');
    return preset;
  };

  describe('sign-in', () => {
    it('signs in through the fake Entra and comes back to returnTo with an encrypted, HttpOnly, Secure session', async () => {
      const start = await get('/auth/sign-in?returnTo=%2Fportal%2Fsubscriptions%2Fsub-1%3Flang%3Dja');
      expect(start.statusCode).toBe(302);
      const signInCookie = start.cookies?.[0];
      expect(signInCookie).toMatch(/^mm_signin=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      const authorize = new URL(String(start.headers?.location));
      expect(authorize.searchParams.get('redirect_uri')).toBe(`${ORIGIN}/auth/callback`);

      const callback = await signInOnFakeEntra(authorize.href, system.emulator.entra.caCertificatePem, customer());
      const done = await get(`/auth/callback${callback.search}`, { cookie: cookiePair(signInCookie) });

      expect(done.statusCode).toBe(302);
      expect(done.headers?.location).toBe('/portal/subscriptions/sub-1?lang=ja');
      const session = done.cookies?.find((line) => line.startsWith('mm_session='));
      expect(session).toMatch(/; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      expect(done.cookies).toContain('mm_signin=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax');
      const user = await openSession(testSessionKeys(), cookiePair(session).slice('mm_session='.length));
      expect(user).toMatchObject({
        tenantId: customer().tenantId,
        objectId: customer().objectId,
        name: customer().name,
        email: customer().email,
        csrfToken: expect.stringMatching(/^[\w-]{43}$/),
      });
    });

    it.each([
      ['another site', 'https://attacker.example/phish'],
      ['a protocol-relative URL', '//attacker.example/phish'],
      ['a backslash trick', '/\\attacker.example'],
      ['a scheme', 'javascript:alert(1)'],
    ])('refuses a returnTo to %s with 400, before going to Microsoft', async (_case, returnTo) => {
      const answer = await get(`/auth/sign-in?${new URLSearchParams({ returnTo })}`);

      expect(answer.statusCode).toBe(400);
      expect(answer.headers?.location).toBeUndefined();
      expect(answer.body).toContain('returnTo must be a path on this site');
    });

    it('refuses a callback without the sign-in cookie (started elsewhere, or too long ago) with 401', async () => {
      const start = await get('/auth/sign-in');
      const callback = await signInOnFakeEntra(
        String(start.headers?.location),
        system.emulator.entra.caCertificatePem,
        customer(),
      );

      const answer = await get(`/auth/callback${callback.search}`);

      expect(answer.statusCode).toBe(401);
      expect(answer.body).toContain('please sign in again');
      expect(answer.cookies ?? []).toEqual([]);
    });

    it('refuses a callback whose state belongs to another sign-in (login CSRF) with 401', async () => {
      const mine = await get('/auth/sign-in');
      const theirs = await get('/auth/sign-in');
      const theirCallback = await signInOnFakeEntra(
        String(theirs.headers?.location),
        system.emulator.entra.caCertificatePem,
        customer(),
      );

      const answer = await get(`/auth/callback${theirCallback.search}`, { cookie: cookiePair(mine.cookies?.[0]) });

      expect(answer.statusCode).toBe(401);
      expect(answer.cookies ?? []).toEqual([]);
    });
  });

  describe('pages', () => {
    it('sends a visitor without a session to sign in, returning to the page asked for', async () => {
      const answer = await get('/portal/partners/partner-p?lang=en');

      expect(answer.statusCode).toBe(302);
      expect(answer.headers?.location).toBe(
        `/auth/sign-in?${new URLSearchParams({ returnTo: '/portal/partners/partner-p?lang=en' })}`,
      );
    });

    it('serves the page shell to a signed-in user with the session’s CSRF token and its language', async () => {
      const session = await aSession({ tenantId: 't-1', objectId: 'o-1' });

      const answer = await get('/portal/subscriptions/sub-9?lang=ja', { cookie: session.cookie });

      expect(answer.statusCode).toBe(200);
      expect(answer.body).toContain(`<meta name="csrf-token" content="${session.csrfToken}">`);
      expect(answer.body).toContain('<html lang="ja">');
      expect(answer.body).toContain('sub-9');
    });

    it('answers an unknown portal path with 404', async () => {
      const session = await aSession({ tenantId: 't-1', objectId: 'o-1' });

      expect((await get('/portal/nowhere/at/all', { cookie: session.cookie })).statusCode).toBe(404);
    });
  });

  describe('assets', () => {
    it('serves a bundled file with its content type and an immutable year-long cache, without a session', async () => {
      const manifest = JSON.parse(
        await readFile(join(process.env[ENV.portalAssetsDir] ?? '', 'manifest.json'), 'utf8'),
      ) as { script: string };
      const answer = await get(`/portal/assets/${manifest.script}`);

      expect(answer.statusCode).toBe(200);
      expect(answer.headers).toMatchObject({
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=31536000, immutable',
      });
    });

    it.each([
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip;q=0.8', 'gzip'],
      ['*', 'br'],
    ])(
      'serves the script compressed to a browser that accepts %s (%s), the same bytes once decoded',
      async (accept, encoding) => {
        const dir = process.env[ENV.portalAssetsDir] ?? '';
        const { script } = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { script: string };
        const event = httpEvent('GET', `/portal/assets/${script}`, {
          headers: { ...browserHeaders, 'accept-encoding': accept },
        });
        event.pathParameters = { proxy: `assets/${script}` };

        const answer = (await handler(event, aLambdaContext('Portal'))) as APIGatewayProxyStructuredResultV2;

        expect(answer).toMatchObject({ statusCode: 200, isBase64Encoded: true });
        expect(answer.headers).toMatchObject({ 'content-encoding': encoding, vary: 'accept-encoding' });
        const body = Buffer.from(answer.body ?? '', 'base64');
        const decoded = encoding === 'br' ? brotliDecompressSync(body) : gunzipSync(body);
        expect(decoded.equals(await readFile(join(dir, script)))).toBe(true);
        expect(body.length).toBeLessThan(decoded.length / 2);
      },
    );

    it('serves the script as is to a client that accepts no compression we have', async () => {
      const dir = process.env[ENV.portalAssetsDir] ?? '';
      const { script } = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { script: string };
      const event = httpEvent('GET', `/portal/assets/${script}`, {
        headers: { ...browserHeaders, 'accept-encoding': 'identity, br;q=0' },
      });
      event.pathParameters = { proxy: `assets/${script}` };

      const answer = (await handler(event, aLambdaContext('Portal'))) as APIGatewayProxyStructuredResultV2;

      expect(answer.headers?.['content-encoding']).toBeUndefined();
      expect(answer.body).toBe(await readFile(join(dir, script), 'utf8'));
    });

    it('serves a binary file base64-encoded', async () => {
      const dir = process.env[ENV.portalAssetsDir] ?? '';
      await writeFile(join(dir, 'logo-abc123.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));

      const answer = await get('/portal/assets/logo-abc123.png');

      expect(answer).toMatchObject({ statusCode: 200, isBase64Encoded: true, body: 'iVBORw==' });
    });

    it.each([
      ['an unknown file', 'nothing-here.js'],
      ['the manifest', 'manifest.json'],
      ['a dot-dot segment', '..%2Fmanifest.json'],
      ['an encoded traversal', '..%2F..%2F..%2Fetc%2Fpasswd'],
      ['a sub-path', 'sub/main.js'],
      ['a hidden file', '.env'],
    ])('answers 404 for %s', async (_case, name) => {
      const event = httpEvent('GET', `/portal/assets/${name}`, { headers: browserHeaders });
      event.pathParameters = { proxy: `assets/${decodeURIComponent(name)}` };

      const answer = (await handler(event, aLambdaContext('Portal'))) as APIGatewayProxyStructuredResultV2;

      expect(answer.statusCode).toBe(404);
    });
  });

  describe('sign-out', () => {
    const signOut = async (headers: Record<string, string>, csrfToken?: string) => {
      const event = httpEvent('POST', '/auth/sign-out', {
        headers: { ...browserHeaders, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      });
      event.body = csrfToken === undefined ? '' : new URLSearchParams({ csrfToken }).toString();
      return (await handler(event, aLambdaContext('Portal'))) as APIGatewayProxyStructuredResultV2;
    };

    it('ends the session when the form carries its CSRF token from our own origin', async () => {
      const session = await aSession({ tenantId: 't-1', objectId: 'o-1' });

      const answer = await signOut({ cookie: session.cookie, origin: ORIGIN }, session.csrfToken);

      expect(answer.statusCode).toBe(200);
      expect(answer.cookies).toEqual(['mm_session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax']);
    });

    it('refuses a sign-out without the CSRF token, or from another origin, keeping the session', async () => {
      const session = await aSession({ tenantId: 't-1', objectId: 'o-1' });

      const missing = await signOut({ cookie: session.cookie, origin: ORIGIN });
      const foreign = await signOut({ cookie: session.cookie, origin: 'https://evil.example' }, session.csrfToken);

      for (const answer of [missing, foreign]) {
        expect(answer.statusCode).toBe(403);
        expect(answer.cookies ?? []).toEqual([]);
      }
    });
  });
});
