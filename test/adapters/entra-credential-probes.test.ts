import { X509Certificate } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import {
  ConfiguredCredentialInspector,
  FreshCredentialTokenProbe,
  HttpLandingPageProbe,
} from '#shared/adapters/marketplace/credential-probes.ts';
import { MarketplaceTokenError } from '#shared/adapters/marketplace/http-marketplace.ts';
import type { MarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { quietLogger } from '#test/helpers/emulator-client.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:EntraClientSecret-AbCdEf';

/** A secret marked as still to be set (the stack's own placeholder is told by its single version, below). */
const PLACEHOLDER = JSON.stringify({
  placeholder: 'Not set: put the Entra app client secret here',
  clientSecret: 'Xq3v9Lr2Tn8Wm4Zp7Ks1Hd6Jb5Gc0Fa2Ye8Uo3Ri',
});

describe('the Entra credential probes against the emulator’s fake Entra', () => {
  let emulator: MarketplaceEmulator;
  let caPath: string;
  /** The configuration of a deployed function, the secret read through `readSecret` instead of Secrets Manager. */
  const configWith = (
    credential: MarketplaceConfig['credential'] = { kind: 'secret', secret: { secretArn: SECRET_ARN } },
  ) =>
    ({
      baseUrl: emulator.baseUrl,
      tenantId: emulator.entra.tenantId,
      clientId: emulator.entra.clientId,
      credential,
      authorityHost: emulator.entra.authorityHost,
      caCertificatePath: caPath,
    }) satisfies MarketplaceConfig;
  const storedAs = (value: string) => ({ readSecret: async () => value });

  beforeAll(async () => {
    emulator = await startMarketplaceEmulator({
      catalog: await loadCatalog('infra/catalog/catalog.yaml'),
      clock: 'running',
      startTime: new Date(),
    });
    caPath = join(await mkdtemp(join(tmpdir(), 'entra-probes-')), 'ca.pem');
    await writeFile(caPath, emulator.entra.caCertificatePem);
  });
  afterAll(() => emulator?.stop());

  it('gets a marketplace token with the secret stored as JSON with its expiry', async () => {
    const stored = JSON.stringify({ clientSecret: emulator.entra.clientSecret, expiresOn: '2028-01-31' });

    const token = await new FreshCredentialTokenProbe(configWith(), storedAs(stored)).acquireToken();

    expect(token.expiresOn.getTime()).toBeGreaterThan(Date.now());
  });

  it('fails with Entra’s refusal when the secret is wrong, naming the credential and the app', async () => {
    const probe = new FreshCredentialTokenProbe(configWith(), storedAs('not-the-secret'));

    const failure = await probe.acquireToken().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MarketplaceTokenError);
    expect((failure as Error).message).toContain(`app ${emulator.entra.clientId}`);
  });

  it('fails on the placeholder without asking Entra, with the command that puts the real secret', async () => {
    const probe = new FreshCredentialTokenProbe(configWith(), storedAs(PLACEHOLDER));

    const failure = await probe.acquireToken().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MarketplaceTokenError);
    expect((failure as Error).message).toContain(`aws secretsmanager put-secret-value --secret-id ${SECRET_ARN}`);
  });

  it('asks Entra again on every check rather than reusing a token', async () => {
    const reads: string[] = [];
    const probe = new FreshCredentialTokenProbe(configWith(), {
      readSecret: async (id) => {
        reads.push(id);
        return emulator.entra.clientSecret;
      },
    });

    const first = await probe.acquireToken();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = await probe.acquireToken();

    expect(reads).toEqual([SECRET_ARN, SECRET_ARN]);
    expect(second.expiresOn.getTime()).toBeGreaterThan(first.expiresOn.getTime());
  });

  it('describes the placeholder and a stored expiry from the secret, and a certificate from its own dates', async () => {
    const placeholder = await new ConfiguredCredentialInspector(configWith(), storedAs(PLACEHOLDER)).describe();
    const dated = await new ConfiguredCredentialInspector(
      configWith(),
      storedAs('{"clientSecret":"abc8Q~x","expiresOn":"2027-06-01"}'),
    ).describe();
    const certificate = await new ConfiguredCredentialInspector(
      configWith({ kind: 'certificate', certificate: { path: caPath } }),
    ).describe();

    expect(placeholder).toMatchObject({
      kind: 'secret',
      placeholder: true,
      location: { store: 'secretsManager', name: SECRET_ARN },
    });
    expect(dated).toMatchObject({ placeholder: false, expiresOn: new Date('2027-06-01T00:00:00Z') });
    expect(certificate).toMatchObject({
      kind: 'certificate',
      placeholder: false,
      expiresOn: new Date(new X509Certificate(emulator.entra.caCertificatePem).validTo),
    });
  });

  it("describes the stack's own random value as the placeholder while the secret has a single version", async () => {
    const generated = 'h7$Kq!2mZ<v9Rt;Lw4]Xn8@Pb3&Jc6^Y';
    const describeWith = (versions: number) =>
      new ConfiguredCredentialInspector(configWith(), {
        ...storedAs(generated),
        countSecretVersions: async (arn) => (arn === SECRET_ARN ? versions : Number.NaN),
      }).describe();

    expect(await describeWith(1)).toMatchObject({ placeholder: true });
    expect(await describeWith(2)).toMatchObject({ placeholder: false });
    // Without the version count only a stored marker says placeholder.
    expect(await new ConfiguredCredentialInspector(configWith(), storedAs(generated)).describe()).toMatchObject({
      placeholder: false,
    });
  });

  it('logs one error line per process for the placeholder, from the read the token request makes anyway', async () => {
    const lines: { level: string; message: string }[] = [];
    const logger = {
      warn: (message: string) => lines.push({ level: 'warn', message }),
      error: (message: string) => lines.push({ level: 'error', message }),
    };
    const reads: string[] = [];
    const deps = {
      readSecret: async (id: string) => {
        reads.push(id);
        return PLACEHOLDER;
      },
      credentialStateLogger: logger,
      logger: quietLogger,
      retry: { maxAttempts: 1 },
    };
    const first = await createHttpMarketplace(configWith(), deps);
    const second = await createHttpMarketplace(configWith(), deps);

    await expect(first.getSubscription('00000000-0000-0000-0000-000000000001')).rejects.toThrow(MarketplaceTokenError);
    await expect(second.getSubscription('00000000-0000-0000-0000-000000000001')).rejects.toThrow(MarketplaceTokenError);
    await new Promise((resolve) => setImmediate(resolve));

    expect(reads).toEqual([SECRET_ARN, SECRET_ARN]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('error');
    expect(lines[0]?.message).toContain('placeholder');
    expect(lines[0]?.message).toContain(`aws secretsmanager put-secret-value --secret-id ${SECRET_ARN}`);
  });
});

describe('the landing page probe', () => {
  const servers: Server[] = [];
  const serve = async (handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/landing`;
  };
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports the first answer without following its redirect or sending a token', async () => {
    const seen: (string | undefined)[] = [];
    const url = await serve((request, response) => {
      seen.push(request.url);
      response.writeHead(303, { location: '/auth/sign-in' }).end();
    });

    expect(await new HttpLandingPageProbe(url).open()).toEqual({ status: 303 });
    expect(seen).toEqual(['/landing']);
  });

  it('gives up on a page that accepts the connection and never answers', async () => {
    const url = await serve(() => undefined);

    await expect(new HttpLandingPageProbe(url, 200).open()).rejects.toThrow(/timeout|aborted/i);
  });
});
