import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createMarketplaceCredential,
  FileAssertionProvider,
  StaticAssertionProvider,
} from '#shared/adapters/marketplace/credentials.ts';
import { EntraClientCredential } from '#shared/adapters/marketplace/entra-client-credential.ts';
import { loadMarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { ConfigError } from '#shared/config/load-settings.ts';

const base = { ENTRA_TENANT_ID: 'tenant-1', ENTRA_CLIENT_ID: 'app-1' };

describe('marketplace configuration', () => {
  it('reads a secret credential from Secrets Manager, with Microsoft base URL by default', () => {
    expect(
      loadMarketplaceConfig({ ...base, ENTRA_CREDENTIAL_KIND: 'secret', ENTRA_CLIENT_SECRET_ARN: 'arn:secret' }),
    ).toEqual({
      baseUrl: 'https://marketplaceapi.microsoft.com/api',
      tenantId: 'tenant-1',
      clientId: 'app-1',
      credential: { kind: 'secret', secret: { secretArn: 'arn:secret' } },
    });
  });

  it('reads a secret credential from its SSM parameter (the stacks’ default store)', () => {
    expect(
      loadMarketplaceConfig({
        ...base,
        ENTRA_CREDENTIAL_KIND: 'secret',
        ENTRA_CLIENT_SECRET_PARAMETER: '/Marketplace/entra/client-secret',
      }).credential,
    ).toEqual({ kind: 'secret', secret: { parameterName: '/Marketplace/entra/client-secret' } });
  });

  it('reads the emulator settings of local mode', () => {
    const config = loadMarketplaceConfig({
      ...base,
      MARKETPLACE_API_BASE_URL: 'http://127.0.0.1:4010/api',
      ENTRA_CREDENTIAL_KIND: 'secret',
      ENTRA_CLIENT_SECRET: 's3cret',
      ENTRA_AUTHORITY_HOST: 'https://127.0.0.1:4011',
      ENTRA_CA_CERT_PATH: '.local/emulator-ca.pem',
    });

    expect(config).toMatchObject({
      baseUrl: 'http://127.0.0.1:4010/api',
      credential: { kind: 'secret', secret: { value: 's3cret' } },
      authorityHost: 'https://127.0.0.1:4011',
      caCertificatePath: '.local/emulator-ca.pem',
    });
  });

  it('names every missing variable', () => {
    expect(() => loadMarketplaceConfig({})).toThrow(ConfigError);
    expect(() => loadMarketplaceConfig({})).toThrow(/ENTRA_TENANT_ID.*ENTRA_CLIENT_ID.*ENTRA_CREDENTIAL_KIND/s);
  });

  it.each([
    [
      { ENTRA_CREDENTIAL_KIND: 'secret' },
      /ENTRA_CLIENT_SECRET_PARAMETER.*ENTRA_CLIENT_SECRET_ARN.*ENTRA_CLIENT_SECRET/,
    ],
    [{ ENTRA_CREDENTIAL_KIND: 'secret', ENTRA_CLIENT_SECRET: 'a', ENTRA_CLIENT_SECRET_ARN: 'b' }, /only one/],
    [
      { ENTRA_CREDENTIAL_KIND: 'secret', ENTRA_CLIENT_SECRET_PARAMETER: '/a', ENTRA_CLIENT_SECRET_ARN: 'b' },
      /only one of ENTRA_CLIENT_SECRET_PARAMETER \(AWS\), ENTRA_CLIENT_SECRET_ARN \(AWS\)/,
    ],
    [{ ENTRA_CREDENTIAL_KIND: 'certificate' }, /ENTRA_CERTIFICATE_SECRET_ARN.*ENTRA_CERTIFICATE_PATH/],
    [{ ENTRA_CREDENTIAL_KIND: 'password' }, /secret, certificate, assertion/],
    [{ ENTRA_CREDENTIAL_KIND: 'assertion', MARKETPLACE_API_BASE_URL: 'http://example.com/api' }, /https/],
    [{ ENTRA_CREDENTIAL_KIND: 'assertion', ENTRA_AUTHORITY_HOST: 'http://127.0.0.1:1' }, /https/],
  ])('refuses %o with a message saying what to set', (values, message) => {
    expect(() => loadMarketplaceConfig({ ...base, ...values })).toThrow(message);
  });
});

describe('marketplace credentials', () => {
  const config = { baseUrl: 'https://marketplaceapi.microsoft.com/api', tenantId: 'tenant-1', clientId: 'app-1' };

  it('builds an Entra client credential from a local secret', async () => {
    const built = await createMarketplaceCredential({
      ...config,
      credential: { kind: 'secret', secret: { value: 's' } },
    });

    expect(built.credential).toBeInstanceOf(EntraClientCredential);
    expect(built.kind).toBe('secret');
  });

  it('reads a secret from Secrets Manager only when a token is needed', async () => {
    const reads: string[] = [];
    const built = await createMarketplaceCredential(
      { ...config, credential: { kind: 'secret', secret: { secretArn: 'arn:s' } } },
      {
        readSecret: async (id) => {
          reads.push(id);
          return 's';
        },
      },
    );

    expect(reads).toEqual([]);
    expect(built.credential).not.toBeInstanceOf(EntraClientCredential);
  });

  it('reads a certificate only when a token is needed, and builds an assertion credential from a provider', async () => {
    const certificate = await createMarketplaceCredential({
      ...config,
      credential: { kind: 'certificate', certificate: { path: '/no/such.pem' } },
    });
    const assertion = await createMarketplaceCredential(
      { ...config, credential: { kind: 'assertion' } },
      { assertionProvider: new StaticAssertionProvider('jwt') },
    );

    // The PEM is read on token requests (a certificate renewed in place is picked up), so a wrong path fails there.
    await expect(certificate.credential.getToken('scope/.default')).rejects.toThrow(/no such file/);
    expect(assertion.credential).toBeInstanceOf(EntraClientCredential);
  });

  it('refuses an assertion credential with nothing to supply the assertion', async () => {
    await expect(createMarketplaceCredential({ ...config, credential: { kind: 'assertion' } })).rejects.toThrow(
      /ENTRA_ASSERTION_FILE or an AssertionProvider/,
    );
  });

  it('reads an assertion file afresh on every request', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'assertion-')), 'token');
    const provider = new FileAssertionProvider(path);
    await writeFile(path, 'jwt-1\n');
    const first = await provider.getAssertion();
    await writeFile(path, 'jwt-2');

    expect([first, await provider.getAssertion()]).toEqual(['jwt-1', 'jwt-2']);
  });
});
