import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterError } from '@aws-lambda-powertools/parameters/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import {
  ConfiguredCredentialInspector,
  FreshCredentialTokenProbe,
} from '#shared/adapters/marketplace/credential-probes.ts';
import { MarketplaceTokenError } from '#shared/adapters/marketplace/http-marketplace.ts';
import type { MarketplaceConfig } from '#shared/adapters/marketplace/marketplace-config.ts';
import { type ParameterProvider, secureParameterReader } from '#shared/adapters/parameters/secure-parameter.ts';
import { checkEntraCredential } from '#shared/use-cases/operations/check-entra-credential.ts';
import { quietLogger } from '#test/helpers/emulator-client.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';

const PARAMETER = '/Marketplace/entra/client-secret';
const PUT_COMMAND = `aws ssm put-parameter --name ${PARAMETER} --type SecureString --overwrite`;

/**
 * Parameter Store as Powertools' `SSMProvider.get` answers (the value, or the SDK's `ParameterNotFound` wrapped in a
 * `GetParameterError`), faked at that boundary only: no SSM stand-in runs locally. Everything from the reader on is
 * the production code, against the emulator's fake Entra.
 */
class FakeParameterStore implements ParameterProvider {
  private readonly values = new Map<string, string>();
  readonly reads: string[] = [];

  put(name: string, value: string): void {
    this.values.set(name, value);
  }

  async get(name: string): Promise<unknown> {
    this.reads.push(name);
    const value = this.values.get(name);
    if (value !== undefined) return value;
    const notFound = Object.assign(new Error(`Parameter ${name} not found.`), { name: 'ParameterNotFound' });
    throw new GetParameterError(notFound.message, { cause: notFound });
  }
}

describe('the Entra client secret in an SSM parameter, against the emulator’s fake Entra', () => {
  let emulator: MarketplaceEmulator;
  let caPath: string;
  const config = (): MarketplaceConfig => ({
    baseUrl: emulator.baseUrl,
    tenantId: emulator.entra.tenantId,
    clientId: emulator.entra.clientId,
    credential: { kind: 'secret', secret: { parameterName: PARAMETER } },
    authorityHost: emulator.entra.authorityHost,
    caCertificatePath: caPath,
  });

  beforeAll(async () => {
    emulator = await startMarketplaceEmulator({
      catalog: await loadCatalog('infra/catalog/catalog.yaml'),
      clock: 'running',
      startTime: new Date(),
    });
    caPath = join(await mkdtemp(join(tmpdir(), 'entra-parameter-')), 'ca.pem');
    await writeFile(caPath, emulator.entra.caCertificatePem);
  });
  afterAll(() => emulator?.stop());

  it('reports a parameter not created yet as the placeholder, with the put-parameter command', async () => {
    const store = new FakeParameterStore();
    const inspector = new ConfiguredCredentialInspector(config(), { readParameter: secureParameterReader(store) });

    const description = await inspector.describe();
    const report = await checkEntraCredential({ inspector, clock: new FixedClock(new Date().toISOString()) });

    expect(description).toMatchObject({
      kind: 'secret',
      placeholder: true,
      location: { store: 'parameterStore', name: PARAMETER },
    });
    expect(report).toMatchObject({ ok: false, state: 'placeholder' });
    expect(report.message).toContain(`the SSM parameter ${PARAMETER}`);
    expect(report.message).toContain(`${PUT_COMMAND} --value '{"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"}'`);
  });

  it('fails a token request on the missing parameter without asking Entra, then works once it is put', async () => {
    const store = new FakeParameterStore();
    const deps = { readParameter: secureParameterReader(store) };

    const failure = await new FreshCredentialTokenProbe(config(), deps).acquireToken().catch((error: unknown) => error);
    store.put(PARAMETER, JSON.stringify({ clientSecret: emulator.entra.clientSecret, expiresOn: '2028-01-31' }));
    const token = await new FreshCredentialTokenProbe(config(), deps).acquireToken();

    expect(failure).toBeInstanceOf(MarketplaceTokenError);
    expect((failure as Error).message).toContain(PUT_COMMAND);
    // A missing parameter is not cached: the value put afterwards is read at once.
    expect(token.expiresOn.getTime()).toBeGreaterThan(Date.now());
    expect(store.reads).toEqual([PARAMETER, PARAMETER]);
  });

  it('reads the stored expiry from the parameter, as from a secret', async () => {
    const store = new FakeParameterStore();
    store.put(PARAMETER, '{"clientSecret":"abc8Q~x","expiresOn":"2027-06-01"}');

    const description = await new ConfiguredCredentialInspector(config(), {
      readParameter: secureParameterReader(store),
    }).describe();

    expect(description).toMatchObject({ placeholder: false, expiresOn: new Date('2027-06-01T00:00:00Z') });
  });

  it('logs one error line at the first token request of a process, naming the command', async () => {
    const lines: { level: string; message: string }[] = [];
    const store = new FakeParameterStore();
    const marketplace = await createHttpMarketplace(config(), {
      readParameter: secureParameterReader(store),
      credentialStateLogger: {
        warn: (message: string) => lines.push({ level: 'warn', message }),
        error: (message: string) => lines.push({ level: 'error', message }),
      },
      logger: quietLogger,
      retry: { maxAttempts: 1 },
    });

    await expect(marketplace.getSubscription('00000000-0000-0000-0000-000000000001')).rejects.toThrow(
      MarketplaceTokenError,
    );
    await new Promise((resolve) => setImmediate(resolve));

    expect(lines).toEqual([{ level: 'error', message: expect.stringContaining(PUT_COMMAND) }]);
    expect(lines[0]?.message).toContain('does not exist yet');
  });
});
