import { Agent } from 'node:https';
import { ClientSecretCredential } from '@azure/identity';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { fetchWithCa, MARKETPLACE_RESOURCE, marketplaceApi, startTestEmulator, tokenFor } from './harness.ts';

describe('marketplace emulator: fake Entra ID and API authentication (reference §3, §1.1)', () => {
  let emulator: MarketplaceEmulator;
  let httpsFetch: ReturnType<typeof fetchWithCa>;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    httpsFetch = fetchWithCa(emulator.entra.caCertificatePem);
  });
  afterAll(() => emulator.stop());
  beforeEach(() => emulator.control.reset());

  const tokenRequest = (form: Record<string, string>, path = 'oauth2/v2.0/token', tenant = emulator.entra.tenantId) =>
    httpsFetch(`${emulator.entra.authorityHost}/${tenant}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });

  it('publishes a v2 OpenID configuration whose issuer, token endpoint and JWKS are on the authority', async () => {
    const response = await httpsFetch(emulator.entra.openIdConfigurationUrl);
    const configuration = (await response.json()) as Record<string, string>;

    expect(response.status).toBe(200);
    expect(configuration.issuer).toBe(`${emulator.entra.authorityHost}/${emulator.entra.tenantId}/v2.0`);
    expect(configuration.token_endpoint).toBe(
      `${emulator.entra.authorityHost}/${emulator.entra.tenantId}/oauth2/v2.0/token`,
    );
    expect(configuration.jwks_uri).toBe(emulator.entra.jwksUri);
    const jwks = (await (await httpsFetch(emulator.entra.jwksUri)).json()) as { keys: { kid: string; kty: string }[] };
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', kid: expect.any(String) });
  });

  it('issues a one-hour RS256 v1 token for the marketplace scope, as Entra does for that resource, even from the v2 endpoint', async () => {
    const response = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: emulator.entra.clientId,
      client_secret: emulator.entra.clientSecret,
      scope: `${MARKETPLACE_RESOURCE}/.default`,
    });
    const body = (await response.json()) as { access_token: string; expires_in: number; token_type: string };
    const claims = decodeJwt(body.access_token);

    expect(response.status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(claims).toMatchObject({
      aud: MARKETPLACE_RESOURCE,
      appid: emulator.entra.clientId,
      appidacr: '1',
      tid: emulator.entra.tenantId,
      iss: `https://sts.windows.net/${emulator.entra.tenantId}/`,
      ver: '1.0',
    });
    expect(claims.azp).toBeUndefined();
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it('issues v2 tokens (azp, v2 issuer) for another resource from the v2 endpoint', async () => {
    const response = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: emulator.entra.clientId,
      client_secret: emulator.entra.clientSecret,
      scope: 'api://some-other-api/.default',
    });
    const claims = decodeJwt(((await response.json()) as { access_token: string }).access_token);

    expect(claims).toMatchObject({ azp: emulator.entra.clientId, iss: emulator.entra.issuer, ver: '2.0' });
    expect(claims.appid).toBeUndefined();
  });

  it('issues v2-shaped marketplace tokens when asked to, and the marketplace accepts them by azp + tid', async () => {
    const v2 = await startTestEmulator({ marketplaceTokenVersion: 'v2' });
    try {
      const token = await tokenFor(v2);

      expect(decodeJwt(token)).toMatchObject({ azp: v2.entra.clientId, ver: '2.0' });
      expect((await marketplaceApi(v2, token)('GET', '/saas/subscriptions')).status).toBe(200);
    } finally {
      await v2.stop();
    }
  });

  it('answers 401 invalid_client in Entra error shape for a wrong client secret', async () => {
    const response = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: emulator.entra.clientId,
      client_secret: 'not-the-secret',
      scope: `${MARKETPLACE_RESOURCE}/.default`,
    });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(401);
    expect(body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(body.error_description).toMatch(/^AADSTS7000215:/);
  });

  it('issues a v1 token for resource= on the v1 endpoint, with appid instead of azp', async () => {
    const response = await tokenRequest(
      {
        grant_type: 'client_credentials',
        client_id: emulator.entra.clientId,
        client_secret: emulator.entra.clientSecret,
        resource: MARKETPLACE_RESOURCE,
      },
      'oauth2/token',
    );
    const body = (await response.json()) as { access_token: string; expires_in: string };

    expect(response.status).toBe(200);
    expect(body.expires_in).toBe('3600');
    expect(decodeJwt(body.access_token)).toMatchObject({ appid: emulator.entra.clientId, ver: '1.0' });
    const api = marketplaceApi(emulator, body.access_token);
    expect((await api('GET', '/saas/subscriptions')).status).toBe(200);
  });

  it('accepts a client assertion whose iss and sub are the client id (certificate credential, unverified)', async () => {
    const { privateKey } = await import('jose').then((jose) => jose.generateKeyPair('RS256'));
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(emulator.entra.clientId)
      .setSubject(emulator.entra.clientId)
      .setAudience(`${emulator.entra.authorityHost}/${emulator.entra.tenantId}/oauth2/v2.0/token`)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    const response = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: emulator.entra.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: `${MARKETPLACE_RESOURCE}/.default`,
    });

    expect(response.status).toBe(200);
  });

  it('gives @azure/identity ClientSecretCredential a token over HTTPS that the marketplace routes accept', async () => {
    const credential = new ClientSecretCredential(
      emulator.entra.tenantId,
      emulator.entra.clientId,
      emulator.entra.clientSecret,
      {
        authorityHost: emulator.entra.authorityHost,
        disableInstanceDiscovery: true,
        agent: new Agent({ ca: emulator.entra.caCertificatePem }),
      },
    );

    const accessToken = await credential.getToken(`${MARKETPLACE_RESOURCE}/.default`);
    const response = await marketplaceApi(emulator, accessToken.token)('GET', '/saas/subscriptions');

    expect(response.status).toBe(200);
  });

  it('answers 403 in Microsoft error shape to a token of another app of the same tenant', async () => {
    const otherApp = emulator.control.registerApplication();
    const token = await tokenFor(emulator, otherApp);

    const response = await marketplaceApi(emulator, token)('GET', '/saas/subscriptions');

    expect(response.status).toBe(403);
    expect(response.json).toMatchObject({ error: { code: 'Forbidden', message: expect.stringMatching(/app id/) } });
  });

  it('answers 403 to a publisher token minted for another resource', async () => {
    const token = await tokenFor(emulator, emulator.entra, 'https://graph.microsoft.com/.default');

    expect((await marketplaceApi(emulator, token)('GET', '/saas/subscriptions')).status).toBe(403);
  });

  it('answers 403 when the bearer token is missing, as §1.1 says for a missing token', async () => {
    const response = await fetch(`${emulator.baseUrl}/saas/subscriptions?api-version=2018-08-31`);

    expect(response.status).toBe(403);
  });

  it('answers 403 to a token expired on the emulator clock', async () => {
    const token = await tokenFor(emulator);
    const api = marketplaceApi(emulator, token);
    expect((await api('GET', '/saas/subscriptions')).status).toBe(200);

    await emulator.control.advance(3601_000);

    expect((await api('GET', '/saas/subscriptions')).status).toBe(403);
  });

  it('answers 400 without api-version=2018-08-31 and echoes or generates the request ids', async () => {
    const api = marketplaceApi(emulator, await tokenFor(emulator));

    const missing = await api('GET', '/saas/subscriptions', {
      apiVersion: false,
      headers: { 'x-ms-requestid': 'req-1', 'x-ms-correlationid': 'corr-1' },
    });
    const wrong = await api('GET', '/saas/subscriptions?api-version=2022-01-01', { apiVersion: false });

    expect(missing.status).toBe(400);
    expect(missing.headers.get('x-ms-requestid')).toBe('req-1');
    expect(missing.headers.get('x-ms-correlationid')).toBe('corr-1');
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('x-ms-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
