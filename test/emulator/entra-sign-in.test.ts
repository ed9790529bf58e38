import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CUSTOMER_TENANT_ID, type MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { createSignInClient, type SignInClient } from '#shared/adapters/entra/sign-in-client.ts';
import { UnauthenticatedError } from '#shared/domain/errors.ts';
import { entraRequest, signInOnFakeEntra } from '#test/helpers/fake-entra-sign-in.ts';
import { startTestEmulator } from './harness.ts';

const REDIRECT_URI = 'http://127.0.0.1:4321/auth/callback';
const VERIFIER = 'a-pkce-code-verifier-of-forty-three-characters-or-more-0123456789';
const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

describe('marketplace emulator: the fake Entra signs users in (authorization code flow with PKCE)', () => {
  let emulator: MarketplaceEmulator;
  let client: SignInClient;
  let ca: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    ca = emulator.entra.caCertificatePem;
    const caPath = join(await mkdtemp(join(tmpdir(), 'entra-ca-')), 'ca.pem');
    await writeFile(caPath, ca);
    client = createSignInClient(
      {
        clientId: emulator.entra.signIn.clientId,
        clientSecret: { value: emulator.entra.signIn.clientSecret },
        authority: 'organizations',
        authorityHost: emulator.entra.authorityHost,
        caCertificatePath: caPath,
      },
      emulator.entra.signIn.clientSecret,
    );
  });
  afterAll(() => emulator.stop());

  const customer = () => {
    const preset = emulator.entra.signIn.users.find((user) => user.label === 'customer');
    if (!preset) throw new Error('no customer preset');
    return preset;
  };

  /** A code for `user`, asked for by hand (to test the token endpoint's checks one by one). */
  async function aCode(overrides: Record<string, string> = {}) {
    const authorize = new URL(`${emulator.entra.authorityHost}/organizations/oauth2/v2.0/authorize`);
    for (const [name, value] of Object.entries({
      client_id: emulator.entra.signIn.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid profile email',
      state: 's1',
      nonce: 'n1',
      code_challenge: challengeOf(VERIFIER),
      code_challenge_method: 'S256',
      ...overrides,
    })) {
      authorize.searchParams.set(name, value);
    }
    const callback = await signInOnFakeEntra(authorize.href, ca, customer());
    return callback.searchParams.get('code') ?? '';
  }

  const redeem = (form: Record<string, string>) =>
    entraRequest(`${emulator.entra.authorityHost}/organizations/oauth2/v2.0/token`, ca, {
      grant_type: 'authorization_code',
      client_id: emulator.entra.signIn.clientId,
      client_secret: emulator.entra.signIn.clientSecret,
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
      ...form,
    });

  it('offers the preset users: a customer of the suggested purchases, a partner user and a publisher admin', () => {
    expect(emulator.entra.signIn.users.map((user) => user.label)).toEqual(['customer', 'partner', 'publisher admin']);
    expect(customer().tenantId).toBe(LOCAL_CUSTOMER_TENANT_ID);
    expect(emulator.entra.signIn.users[2]?.tenantId).toBe(emulator.entra.tenantId);
  });

  it('signs a user in through openid-client: the id token names their tenant, object id, name and e-mail', async () => {
    const { url, checks } = await client.start(REDIRECT_URI);
    expect(new URL(url).origin).toBe(emulator.entra.authorityHost);
    expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');

    const callback = await signInOnFakeEntra(url, ca, customer());
    const identity = await client.finish(callback, checks);

    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe(checks.state);
    expect(identity).toEqual({
      tenantId: customer().tenantId,
      objectId: customer().objectId,
      name: customer().name,
      email: customer().email,
    });
  });

  it('issues id tokens whose issuer is the user’s own tenant, audience the app, with the nonce asked for', async () => {
    const code = await aCode();

    const answer = await redeem({ code });

    expect(answer.status).toBe(200);
    const claims = decodeJwt((JSON.parse(answer.text) as { id_token: string }).id_token);
    expect(claims).toMatchObject({
      iss: `https://login.microsoftonline.com/${customer().tenantId}/v2.0`,
      aud: emulator.entra.signIn.clientId,
      tid: customer().tenantId,
      oid: customer().objectId,
      nonce: 'n1',
      email: customer().email,
      preferred_username: customer().email,
    });
  });

  it('refuses a code verifier that does not match the challenge (PKCE)', async () => {
    const code = await aCode();

    const answer = await redeem({ code, code_verifier: `${VERIFIER}-not-it` });

    expect(answer.status).toBe(400);
    expect(answer.text).toContain('invalid_grant');
  });

  it('refuses a redirect_uri other than the authorization request’s, a wrong client secret, and a second use', async () => {
    const first = await aCode();
    const second = await aCode();
    const third = await aCode();

    const otherRedirect = await redeem({ code: first, redirect_uri: 'http://127.0.0.1:4321/elsewhere' });
    const wrongSecret = await redeem({ code: second, client_secret: 'not-the-secret' });
    const used = await redeem({ code: third });
    const replayed = await redeem({ code: third });

    expect(otherRedirect.status).toBe(400);
    expect(wrongSecret.status).toBe(401);
    expect(used.status).toBe(200);
    expect(replayed.status).toBe(400);
    expect(replayed.text).toContain('already redeemed');
  });

  it('shows no form for an unregistered redirect URI or without a S256 challenge', async () => {
    const base = `${emulator.entra.authorityHost}/organizations/oauth2/v2.0/authorize`;
    const query = (overrides: Record<string, string>) =>
      new URLSearchParams({
        client_id: emulator.entra.signIn.clientId,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid',
        code_challenge: challengeOf(VERIFIER),
        code_challenge_method: 'S256',
        ...overrides,
      });

    const elsewhere = await entraRequest(`${base}?${query({ redirect_uri: 'https://attacker.example/cb' })}`, ca);
    const plain = await entraRequest(`${base}?${query({ code_challenge_method: 'plain' })}`, ca);
    const fine = await entraRequest(`${base}?${query({})}`, ca);

    expect(elsewhere.status).toBe(400);
    expect(elsewhere.text).toContain('does not match the redirect URIs');
    expect(plain.status).toBe(400);
    expect(fine.status).toBe(200);
  });

  it('fails the sign-in when the callback’s state is not the one started, or its nonce differs', async () => {
    const { url, checks } = await client.start(REDIRECT_URI);
    const callback = await signInOnFakeEntra(url, ca, customer());
    const other = await client.start(REDIRECT_URI);
    const otherCallback = await signInOnFakeEntra(other.url, ca, customer());

    await expect(client.finish(callback, { ...checks, state: 'another-state' })).rejects.toThrow(UnauthenticatedError);
    await expect(client.finish(otherCallback, { ...other.checks, nonce: 'another-nonce' })).rejects.toThrow(
      UnauthenticatedError,
    );
  });
});
