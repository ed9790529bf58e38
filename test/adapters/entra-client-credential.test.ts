import { createPrivateKey, generateKeyPairSync, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { MARKETPLACE_SCOPE } from '#shared/adapters/marketplace/access-token-cache.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import { EntraClientCredential, EntraTokenRequestError } from '#shared/adapters/marketplace/entra-client-credential.ts';
import type { MarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { CUSTOMER_TENANT, MARKETPLACE_RESOURCE, startTestEmulator } from '../emulator/harness.ts';
import { quietLogger } from '../helpers/emulator-client.ts';

/**
 * The system's own Entra credential (client credentials grant through openid-client) against the emulator's fake
 * Entra over HTTPS: every client authentication Entra documents, and the refusals an operator must be able to read.
 */

const FEDERATION = { issuer: 'https://outbound.example/aws', subject: 'arn:aws:iam::123456789012:role/usage-reporter' };

/** A certificate with its private key in one PEM, as a publisher uploads the certificate and keeps the key. */
async function certificatePem(): Promise<string> {
  const pems = await generate([{ name: 'commonName', value: 'marketplace-publisher' }], {
    keySize: 2048,
    algorithm: 'sha256',
  });
  return `${pems.cert}\n${pems.private}`;
}

describe('EntraClientCredential against the fake Entra', () => {
  let emulator: MarketplaceEmulator;
  let pem: string;

  beforeAll(async () => {
    pem = await certificatePem();
    emulator = await startTestEmulator({
      publisher: {
        certificatePem: pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25),
        federatedCredentials: [FEDERATION],
      },
    });
  });
  afterAll(() => emulator.stop());

  const credential = (authentication: ConstructorParameters<typeof EntraClientCredential>[2]) =>
    new EntraClientCredential(emulator.entra.tenantId, emulator.entra.clientId, authentication, {
      authorityHost: emulator.entra.authorityHost,
      caCertificatePem: emulator.entra.caCertificatePem,
    });

  it('gets a marketplace token with the client secret, valid for the hour Entra says', async () => {
    const before = Date.now();
    const token = await credential({ kind: 'secret', secret: emulator.entra.clientSecret }).getToken(MARKETPLACE_SCOPE);

    expect(decodeJwt(token.token)).toMatchObject({
      aud: MARKETPLACE_RESOURCE,
      appid: emulator.entra.clientId,
      appidacr: '1',
    });
    expect(token.expiresOnTimestamp).toBeGreaterThanOrEqual(before + 3600_000);
    expect(token.expiresOnTimestamp).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it('gets a token with a certificate: an RS256 assertion the fake Entra verifies against the uploaded certificate', async () => {
    const token = await credential({ kind: 'certificate', pem }).getToken(MARKETPLACE_SCOPE);

    expect(decodeJwt(token.token)).toMatchObject({ appid: emulator.entra.clientId, appidacr: '2' });
  });

  it('refuses, as Entra does, a certificate assertion without the thumbprint or with another audience', async () => {
    const [certificateOnly, key] = [
      pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25),
      pem.slice(pem.indexOf('-----END CERTIFICATE-----') + 25),
    ];
    const signingKey = createPrivateKey(key);
    const tokenEndpoint = `${emulator.entra.authorityHost}/${emulator.entra.tenantId}/oauth2/v2.0/token`;
    const x5t = Buffer.from(new X509Certificate(certificateOnly).fingerprint.replaceAll(':', ''), 'hex').toString(
      'base64url',
    );
    const assertion = (header: Record<string, string>, audience: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', ...header })
        .setIssuer(emulator.entra.clientId)
        .setSubject(emulator.entra.clientId)
        .setAudience(audience)
        .setJti(randomUUID())
        .setExpirationTime('5m')
        .sign(signingKey);
    const withAssertion = async (jwt: Promise<string>) =>
      credential({ kind: 'assertion', assertion: () => jwt }).getToken(MARKETPLACE_SCOPE);

    await expect(withAssertion(assertion({}, tokenEndpoint))).rejects.toThrow(/AADSTS700027.*x5t/);
    await expect(
      withAssertion(assertion({ x5t }, `${emulator.entra.authorityHost}/${emulator.entra.tenantId}/v2.0`)),
    ).rejects.toThrow(/AADSTS700021/);
    await expect(withAssertion(assertion({ x5t }, tokenEndpoint))).resolves.toMatchObject({
      token: expect.any(String),
    });
  });

  it('gets a token with a federated assertion minted elsewhere, asking for a fresh one on every request', async () => {
    let minted = 0;
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const entra = credential({
      kind: 'assertion',
      assertion: () => {
        minted += 1;
        return new SignJWT({})
          .setProtectedHeader({ alg: 'RS256' })
          .setIssuer(FEDERATION.issuer)
          .setSubject(FEDERATION.subject)
          .setAudience('api://AzureADTokenExchange')
          .setExpirationTime('5m')
          .sign(key);
      },
    });

    await entra.getToken(MARKETPLACE_SCOPE);
    const token = await entra.getToken(MARKETPLACE_SCOPE);

    expect(decodeJwt(token.token)).toMatchObject({ appid: emulator.entra.clientId, appidacr: '2' });
    expect(minted).toBe(2);
  });

  it("refuses a wrong secret with Entra's own AADSTS description, status and error code", async () => {
    const error = await credential({ kind: 'secret', secret: 'not-the-secret' })
      .getToken(MARKETPLACE_SCOPE)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(EntraTokenRequestError);
    expect(error).toMatchObject({ status: 401, error: 'invalid_client' });
    expect((error as Error).message).toMatch(/^Entra answered 401 invalid_client: AADSTS7000215:/);
  });

  it('refuses a certificate whose key is not the uploaded one, with the signature error', async () => {
    const other = await certificatePem();

    await expect(credential({ kind: 'certificate', pem: other }).getToken(MARKETPLACE_SCOPE)).rejects.toThrow(
      /invalid_client: AADSTS700027/,
    );
  });

  it('says what a certificate PEM must hold when it has no private key, or a key Entra does not take', async () => {
    const certificateOnly = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });

    await expect(credential({ kind: 'certificate', pem: certificateOnly }).getToken(MARKETPLACE_SCOPE)).rejects.toThrow(
      /must hold the certificate and its unencrypted private key/,
    );
    await expect(
      credential({ kind: 'certificate', pem: `${certificateOnly}\n${ec}` }).getToken(MARKETPLACE_SCOPE),
    ).rejects.toThrow(/key is ec: Entra signs in with RSA keys/);
  });

  it('does not trust the fake Entra without its CA, and sends nothing over plain HTTP', async () => {
    const untrusted = new EntraClientCredential(
      emulator.entra.tenantId,
      emulator.entra.clientId,
      { kind: 'secret', secret: emulator.entra.clientSecret },
      { authorityHost: emulator.entra.authorityHost },
    );
    const plain = new EntraClientCredential(
      emulator.entra.tenantId,
      emulator.entra.clientId,
      { kind: 'secret', secret: emulator.entra.clientSecret },
      {
        authorityHost: emulator.entra.authorityHost.replace('https:', 'http:'),
        caCertificatePem: emulator.entra.caCertificatePem,
      },
    );

    await expect(untrusted.getToken(MARKETPLACE_SCOPE)).rejects.toThrow(/fetch failed|certificate/);
    await expect(plain.getToken(MARKETPLACE_SCOPE)).rejects.toThrow(/HTTPS/);
  });

  it('serves the marketplace client built from configuration with a certificate in a file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'entra-certificate-'));
    const certificatePath = join(directory, 'publisher.pem');
    const caPath = join(directory, 'ca.pem');
    await writeFile(certificatePath, pem);
    await writeFile(caPath, emulator.entra.caCertificatePem);
    const config: MarketplaceConfig = {
      baseUrl: emulator.baseUrl,
      tenantId: emulator.entra.tenantId,
      clientId: emulator.entra.clientId,
      authorityHost: emulator.entra.authorityHost,
      caCertificatePath: caPath,
      credential: { kind: 'certificate', certificate: { path: certificatePath } },
    };
    const marketplace = await createHttpMarketplace(config, {
      credentialStateLogger: { ...quietLogger, error: () => undefined },
    });
    const purchase = await emulator.control.purchase({
      offerId: 'contoso-analytics',
      planId: 'basic',
      beneficiary: { tenantId: CUSTOMER_TENANT, emailId: 'user@customer.example' },
      purchaser: { tenantId: CUSTOMER_TENANT, emailId: 'buyer@customer.example' },
    });

    const subscription = await marketplace.getSubscription(purchase.subscriptionId);

    expect(subscription).toMatchObject({ id: purchase.subscriptionId, planId: 'basic' });
  });
});
