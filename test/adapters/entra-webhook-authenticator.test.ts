import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntraWebhookAuthenticator, MARKETPLACE_APP_ID } from '#shared/adapters/entra/entra-webhook-authenticator.ts';
import { UnauthenticatedError } from '#shared/domain/errors.ts';
import { toErrorResponse } from '#shared/http/errors.ts';
import { MarketplaceCallRefusedError } from '#shared/use-cases/fulfillment/ports/webhook-authenticator.ts';

const TENANT = '6f1c2d3e-0000-4000-8000-000000000001';
const APP = '0b7e9c51-0000-4000-8000-000000000002';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/**
 * A stand-in for the tenant's published keys (`/{tenant}/discovery/v2.0/keys`) that counts how often it is read,
 * and whose key set the test can rotate.
 */
describe('webhook token verification (DESIGN invariant 5)', () => {
  let server: Server;
  let authority = '';
  let published: JWK[] = [];
  let fetches = 0;
  let signing: KeyPair;
  let stranger: KeyPair;

  beforeAll(async () => {
    signing = await generateKeyPair('RS256', { extractable: true });
    stranger = await generateKeyPair('RS256', { extractable: true });
    published = [{ ...(await exportJWK(signing.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' }];
    server = createServer((request, response) => {
      if (request.url === `/${TENANT}/discovery/v2.0/keys`) {
        fetches += 1;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: published }));
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    authority = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const verifier = (extra: Partial<ConstructorParameters<typeof EntraWebhookAuthenticator>[0]> = {}) =>
    new EntraWebhookAuthenticator({ tenantId: TENANT, appId: APP, authorityHost: authority, ...extra });

  /** A token as Microsoft's marketplace sends it (v2 access token), with any claim overridden. */
  async function token(
    claims: Record<string, unknown> = {},
    options: { key?: KeyPair['privateKey']; kid?: string; expiresIn?: string | number } = {},
  ): Promise<string> {
    const standard = { iss: `${authority}/${TENANT}/v2.0`, aud: APP, tid: TENANT, azp: MARKETPLACE_APP_ID, ver: '2.0' };
    return new SignJWT({ ...standard, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'key-1', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '1h')
      .sign(options.key ?? signing.privateKey);
  }

  it('accepts a v2 token from the marketplace for this publisher', async () => {
    await expect(verifier().verify(`Bearer ${await token()}`, {})).resolves.toMatchObject({ tokenVersion: '2.0' });
  });

  it('accepts a v1 token (appid claim, sts.windows.net issuer)', async () => {
    const v1 = await new SignJWT({ tid: TENANT, appid: MARKETPLACE_APP_ID, ver: '1.0' })
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setIssuer(`https://sts.windows.net/${TENANT}/`)
      .setAudience(APP)
      .setExpirationTime('1h')
      .sign(signing.privateKey);

    await expect(verifier().verify(`Bearer ${v1}`, {})).resolves.toMatchObject({ tokenVersion: '1.0' });
  });

  it.each([
    ['no header', async () => undefined],
    ['not a bearer token', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a wrong audience', async () => `Bearer ${await token({ aud: 'another-app' })}`],
    ['another tenant', async () => `Bearer ${await token({ tid: 'another-tenant' })}`],
    ['another caller app (azp)', async () => `Bearer ${await token({ azp: 'some-other-app' })}`],
    ['no azp nor appid', async () => `Bearer ${await token({ azp: undefined })}`],
    ['an issuer of another tenant', async () => `Bearer ${await token({ iss: 'https://sts.windows.net/evil/' })}`],
    [
      'an expired token (beyond 5 minutes of skew)',
      async () => `Bearer ${await token({}, { expiresIn: Math.floor(Date.now() / 1000) - 301 })}`,
    ],
    ['a forged signature with a published kid', async () => `Bearer ${await token({}, { key: stranger.privateKey })}`],
    [
      'a key the tenant does not publish',
      async () => `Bearer ${await token({}, { key: stranger.privateKey, kid: 'evil' })}`,
    ],
    [
      'alg none',
      async () =>
        `Bearer ${new UnsecuredJWT({ tid: TENANT, azp: MARKETPLACE_APP_ID })
          .setIssuer(`${authority}/${TENANT}/v2.0`)
          .setAudience(APP)
          .setExpirationTime('1h')
          .encode()}`,
    ],
    [
      'an HMAC token keyed with the public key',
      async () => {
        const secret = new TextEncoder().encode(JSON.stringify(published[0]));
        const hmac = await new SignJWT({ tid: TENANT, azp: MARKETPLACE_APP_ID })
          .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
          .setIssuer(`${authority}/${TENANT}/v2.0`)
          .setAudience(APP)
          .setExpirationTime('1h')
          .sign(secret);
        return `Bearer ${hmac}`;
      },
    ],
  ])('refuses %s with UnauthenticatedError', async (_case, header) => {
    await expect(verifier().verify(await header(), {})).rejects.toThrow(UnauthenticatedError);
  });

  it.each([
    ['issued for another app (our app id is wrong)', { aud: 'another-app' }],
    ['issued in another tenant (our tenant id is wrong)', { iss: 'https://sts.windows.net/another-tenant/' }],
  ])(
    'tells a genuine marketplace token %s from a made-up one: the configuration needs an operator',
    async (_case, claims) => {
      const refused = await verifier()
        .verify(`Bearer ${await token(claims)}`, {})
        .catch((caught: unknown) => caught);

      expect(refused).toBeInstanceOf(MarketplaceCallRefusedError);
      // Still a plain refusal to the caller (401).
      expect(refused).toBeInstanceOf(UnauthenticatedError);
    },
  );

  it.each([
    ['another app’s token for another audience', async () => token({ aud: 'another-app', azp: 'some-other-app' })],
    [
      'a forged marketplace token for another audience',
      async () => token({ aud: 'another-app' }, { key: stranger.privateKey }),
    ],
    ['an expired marketplace token', async () => token({}, { expiresIn: Math.floor(Date.now() / 1000) - 301 })],
  ])('refuses %s without asking for an operator (anyone can send one)', async (_case, made) => {
    const refused = await verifier()
      .verify(`Bearer ${await made()}`, {})
      .catch((caught: unknown) => caught);

    expect(refused).toBeInstanceOf(UnauthenticatedError);
    expect(refused).not.toBeInstanceOf(MarketplaceCallRefusedError);
  });

  it('keeps why a token failed for the logs, while the webhook answer says only "unauthorized"', async () => {
    const wrongAudience = await token({ aud: 'someone-else' });

    const error = await verifier()
      .verify(`Bearer ${wrongAudience}`, {})
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toContain('claim aud is not as expected');
    const answer = toErrorResponse(error, { opaqueUnauthorized: true });
    expect(answer.statusCode).toBe(401);
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      error: { code: 'UnauthenticatedError', message: 'unauthorized' },
    });
    expect(answer.body).not.toContain('aud');
    // Our own API (API keys) keeps telling its caller what to fix.
    expect(toErrorResponse(error).body).toContain('claim aud is not as expected');
  });

  it('tolerates up to 5 minutes of clock skew', async () => {
    const justExpired = await token({}, { expiresIn: Math.floor(Date.now() / 1000) - 240 });

    await expect(verifier().verify(`Bearer ${justExpired}`, {})).resolves.toBeDefined();
  });

  it('checks exp and nbf against its clock (the local mode’s moved clock), not the real one', async () => {
    const inTwoDays = Math.floor(Date.now() / 1000) + 2 * 86_400;
    const issuedThen = await token({ iat: inTwoDays, nbf: inTwoDays }, { expiresIn: inTwoDays + 3600 });
    const twoDaysAhead = { now: () => new Date((inTwoDays + 60) * 1000) };

    await expect(verifier({ clock: twoDaysAhead }).verify(`Bearer ${issuedThen}`, {})).resolves.toBeDefined();
    await expect(verifier().verify(`Bearer ${issuedThen}`, {})).rejects.toThrow(/nbf/);
    await expect(verifier({ clock: twoDaysAhead }).verify(`Bearer ${await token()}`, {})).rejects.toThrow(/exp/);
  });

  it('caches the keys, and fetches them again when a token names a new key (rotation)', async () => {
    const authenticator = verifier({ keyRefetchCooldownMs: 0 });
    await authenticator.verify(`Bearer ${await token()}`, {});
    await authenticator.verify(`Bearer ${await token()}`, {});
    const afterTwo = fetches;
    const rotated = await generateKeyPair('RS256', { extractable: true });
    published = [...published, { ...(await exportJWK(rotated.publicKey)), kid: 'key-2', alg: 'RS256', use: 'sig' }];

    await expect(
      authenticator.verify(`Bearer ${await token({}, { key: rotated.privateKey, kid: 'key-2' })}`, {}),
    ).resolves.toBeDefined();
    expect(fetches).toBe(afterTwo + 1);
  });

  it('requires the shared secret in the URL when one is configured, even with a valid token', async () => {
    const withSecret = verifier({ sharedSecret: { parameter: 'secret', value: 's3cr3t-value' } });
    const valid = `Bearer ${await token()}`;

    await expect(withSecret.verify(valid, {})).rejects.toThrow(/shared secret/);
    await expect(withSecret.verify(valid, { secret: 's3cr3t-valuX' })).rejects.toThrow(UnauthenticatedError);
    await expect(withSecret.verify(valid, { secret: 's3cr3t-value' })).resolves.toBeDefined();
  });
});
