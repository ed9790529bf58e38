/**
 * The Entra ID credential the marketplace client gets its tokens from (reference/marketplace-api.md §3): client
 * secret, client certificate, or client assertion (workload identity federation, no stored secret). Each is an
 * `EntraClientCredential` (entra-client-credential.ts: the client credentials grant through openid-client).
 *
 * ## Trusting a custom CA (the emulator's self-signed certificate)
 * With `caCertificatePath`, the token requests trust that CA **in addition to** Node's bundled roots (a bare `ca`
 * replaces them, which would break a real Microsoft host), and so does the marketplace API client
 * (`caCertificatePem` on the result). `NODE_EXTRA_CA_CERTS=<pem>` works too, process-wide, but only when set before
 * Node starts. A custom `authorityHost` needs no discovery switch: the token endpoint is derived from it, and nothing
 * asks Microsoft's public host to validate it.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import {
  MissingParameterError,
  type ParameterReader,
  secureParameterReader,
} from '#shared/adapters/parameters/secure-parameter.ts';
import { ConfigError } from '#shared/config/load-settings.ts';
import { ENV } from '#shared/env-names.ts';
import type {
  CredentialLocation,
  EntraCredentialDescription,
} from '#shared/use-cases/operations/ports/entra-credential-inspector.ts';
import { EntraClientCredential, type EntraClientCredentialOptions } from './entra-client-credential.ts';
import type { EntraCredentialKind, MarketplaceConfig } from './marketplace-config.ts';
import { PLACEHOLDER_FIELD, parseStoredClientSecret, type StoredClientSecret } from './stored-client-secret.ts';

/**
 * Supplies the external JWT that Entra exchanges for a marketplace token (client assertion, §3 "Workload identity
 * federation from AWS"). Called on every token request that is not served from cache; return a fresh, unexpired JWT.
 *
 * To federate from AWS without a stored secret (AWS IAM outbound identity federation, §3 option A), implement it
 * with `@aws-sdk/client-sts` (not a dependency of this project yet):
 * ```ts
 * const sts = new STSClient({ region }); // a regional endpoint: the global one does not offer this call
 * const provider: AssertionProvider = {
 *   async getAssertion() {
 *     const out = await sts.send(new GetWebIdentityTokenCommand({
 *       Audience: ['api://AzureADTokenExchange'], SigningAlgorithm: 'RS256', DurationSeconds: 300 }));
 *     return out.WebIdentityToken!;
 *   },
 * };
 * ```
 * and on the Entra app add a federated identity credential with the account's outbound issuer URL
 * (`aws iam enable-outbound-web-identity-federation`), audience `api://AzureADTokenExchange` and the `sub` of a real
 * token (reference §7: not documented). The Lambda role needs `sts:GetWebIdentityToken`.
 */
export interface AssertionProvider {
  getAssertion(): Promise<string>;
}

/**
 * Reads the assertion from a file on every call, so a token rotated on disk by another process (a sidecar, a mounted
 * projected token) is picked up: the same convention as `AZURE_FEDERATED_TOKEN_FILE`.
 */
export class FileAssertionProvider implements AssertionProvider {
  constructor(private readonly path: string) {}

  /** @throws Error when the file is missing or empty. */
  async getAssertion(): Promise<string> {
    const assertion = (await readFile(this.path, 'utf8')).trim();
    if (assertion === '') {
      throw new Error(`The client assertion file ${this.path} is empty`);
    }
    return assertion;
  }
}

/** A fixed assertion or one computed by a function: for tests and for callers that mint JWTs themselves. */
export class StaticAssertionProvider implements AssertionProvider {
  constructor(private readonly source: string | (() => string | Promise<string>)) {}

  async getAssertion(): Promise<string> {
    return typeof this.source === 'string' ? this.source : this.source();
  }
}

/** Reads a secret's string value by ARN or name. */
export type SecretReader = (secretId: string) => Promise<string>;

/** Seconds a Secrets Manager value is cached by Powertools before it is read again (picks up rotation). */
export const SECRET_CACHE_SECONDS = 300;

/**
 * Powertools `getSecret` with a 5-minute cache: a warm Lambda reads Secrets Manager at most every 5 minutes, and a
 * rotated secret is picked up within that time.
 * @throws Error when the secret does not exist, has no string value, or may not be read.
 */
export const powertoolsSecretReader: SecretReader = async (secretId) => {
  const value = await getSecret(secretId, { maxAge: SECRET_CACHE_SECONDS });
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`Secret ${secretId} has no string value`);
  }
  return value;
};

export interface MarketplaceCredentialDeps {
  /** Default: Powertools `getSecret` (Secrets Manager). */
  readonly readSecret?: SecretReader;
  /** Default: Powertools' SSM provider with decryption (`secureParameterReader`). */
  readonly readParameter?: ParameterReader;
  /**
   * Called once with what the credential's material says (placeholder, expiry) when it is first read: at once for a
   * value in the environment, on the first token request for a stored secret or a certificate (so watching the
   * material costs no read of its own). `createHttpMarketplace` logs it.
   */
  readonly onFirstRead?: (description: EntraCredentialDescription) => void;
  /** For `assertion` without `assertionFile`. */
  readonly assertionProvider?: AssertionProvider;
  /**
   * How many versions a Secrets Manager secret has had (`ListSecretVersionIds`), for `describeMarketplaceCredential`
   * only: a client secret with a single version still holds what CloudFormation generated when the stack created it,
   * i.e. the placeholder (see `secretsManagerVersionCount`). Not given: only a stored `placeholder` marker counts.
   */
  readonly countSecretVersions?: (secretArn: string) => Promise<number>;
}

/** A credential with what error messages should name about it. */
export interface MarketplaceCredential {
  readonly credential: TokenCredential;
  readonly kind: EntraCredentialKind;
  readonly tenantId: string;
  readonly clientId: string;
  /** The extra CA from `caCertificatePath`, to trust for the API as well (same emulator). */
  readonly caCertificatePem?: string;
}

/**
 * Builds the credential described by the configuration.
 *
 * - `secret`: the client secret; with a Secrets Manager ARN the secret is read lazily on token requests (cached
 *   by Powertools for 5 min) and the credential is rebuilt when the value changes, so rotation needs no redeploy. The
 *   secret may be the bare value or JSON `{"clientSecret": "...", "expiresOn": "YYYY-MM-DD"}` (stored-client-secret.ts);
 *   the stack's placeholder fails every token request with `PlaceholderSecretError`, which names the command to fix it.
 * - `certificate`: a PEM (certificate + private key) in Secrets Manager or a file, read on token requests too (a
 *   certificate renewed in place is picked up without a restart).
 * - `assertion`: `deps.assertionProvider`, or a `FileAssertionProvider` on `assertionFile`.
 *
 * With `authorityHost` set, tokens come from that authority; with `caCertificatePath`, that CA is trusted in
 * addition to Node's roots (see the module comment).
 * @throws ConfigError when an assertion credential has neither a provider nor a file, or the CA file cannot be read.
 */
export async function createMarketplaceCredential(
  config: MarketplaceConfig,
  deps: MarketplaceCredentialDeps = {},
): Promise<MarketplaceCredential> {
  const caCertificatePem = config.caCertificatePath ? await readCaFile(config.caCertificatePath) : undefined;
  const { tenantId, clientId } = config;
  const options: EntraClientCredentialOptions = {
    ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
    ...(caCertificatePem ? { caCertificatePem } : {}),
  };
  const entra = (authentication: ConstructorParameters<typeof EntraClientCredential>[2]) =>
    new EntraClientCredential(tenantId, clientId, authentication, options);
  const readSecret = deps.readSecret ?? powertoolsSecretReader;
  const readParameter = deps.readParameter ?? secureParameterReader();
  const source = config.credential;
  let credential: TokenCredential;
  switch (source.kind) {
    case 'secret': {
      const secret = source.secret;
      if ('value' in secret) {
        const stored = parseStoredClientSecret(secret.value);
        deps.onFirstRead?.(describeSecret(stored, { store: 'environment', name: ENV.entraClientSecret }));
        credential = entra({ kind: 'secret', secret: usableClientSecret(stored, ENV.entraClientSecret) });
      } else {
        const location: CredentialLocation =
          'parameterName' in secret
            ? { store: 'parameterStore', name: secret.parameterName }
            : { store: 'secretsManager', name: secret.secretArn };
        credential = new MaterialBackedCredential(
          () =>
            'parameterName' in secret
              ? storedParameter(readParameter, secret.parameterName)
              : readSecret(secret.secretArn),
          (material) => entra({ kind: 'secret', secret: material }),
          (material) => usableClientSecret(parseStoredClientSecret(material), location.name, location.store),
          firstReadOnce(deps.onFirstRead, (material) => describeSecret(parseStoredClientSecret(material), location)),
        );
      }
      break;
    }
    case 'certificate': {
      const certificate = source.certificate;
      const location: CredentialLocation =
        'path' in certificate
          ? { store: 'file', name: certificate.path }
          : { store: 'secretsManager', name: certificate.secretArn };
      credential = new MaterialBackedCredential(
        () => ('path' in certificate ? readFile(certificate.path, 'utf8') : readSecret(certificate.secretArn)),
        (pem) => entra({ kind: 'certificate', pem }),
        (pem) => pem,
        firstReadOnce(deps.onFirstRead, (pem) => describeCertificate(pem, location)),
      );
      break;
    }
    case 'assertion': {
      const provider =
        deps.assertionProvider ?? (source.assertionFile ? new FileAssertionProvider(source.assertionFile) : undefined);
      if (!provider) {
        throw new ConfigError(
          `Invalid marketplace configuration: ${ENV.entraCredentialKind}=assertion needs ${ENV.entraAssertionFile} or an ` +
            'AssertionProvider passed to createMarketplaceCredential (e.g. one calling STS GetWebIdentityToken)',
        );
      }
      credential = entra({ kind: 'assertion', assertion: () => provider.getAssertion() });
      break;
    }
  }
  return { credential, kind: source.kind, tenantId, clientId, ...(caCertificatePem ? { caCertificatePem } : {}) };
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      `Invalid marketplace configuration: ${ENV.entraCaCertPath}=${path} cannot be read (${(cause as Error).message})`,
    );
  }
}

/**
 * The secret to send to Entra.
 * @throws PlaceholderSecretError for the stack's placeholder: Entra would refuse it, and the operator needs the command
 *   that fixes it rather than Entra's "invalid client secret".
 */
function usableClientSecret(stored: StoredClientSecret, where: string, store?: CredentialLocation['store']): string {
  if (stored.placeholder) throw new PlaceholderSecretError(where, store);
  return stored.clientSecret;
}

/**
 * The Entra client secret has not been set: its SSM parameter does not exist yet, or its Secrets Manager secret still
 * holds the placeholder the stateful stack created.
 */
export class PlaceholderSecretError extends Error {
  constructor(
    readonly where: string,
    store?: CredentialLocation['store'],
  ) {
    const value = `'{"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"}'`;
    super(
      store === 'parameterStore'
        ? `The Entra client secret is not set: the SSM parameter ${where} does not exist yet. Create it with aws ssm ` +
            `put-parameter --name ${where} --type SecureString --overwrite --value ${value} (docs/deploy.md)`
        : where.startsWith('arn:')
          ? `The Entra client secret ${where} still holds the placeholder the stack created: put the app's client ` +
            `secret there with aws secretsmanager put-secret-value --secret-id ${where} --secret-string ${value} ` +
            '(docs/deploy.md)'
          : `${where} holds the placeholder, not a client secret: set it to the Entra app's client secret`,
    );
    this.name = new.target.name;
  }
}

/**
 * The parameter's value, or, while it does not exist, a stored placeholder marker (stored-client-secret.ts): a
 * missing parameter is this store's placeholder, reported as such by the health check, the canary and the cold-start
 * log line, and refused before any call to Entra.
 * @throws Error when the parameter exists but cannot be read (permissions, throttling).
 */
async function storedParameter(read: ParameterReader, parameterName: string): Promise<string> {
  try {
    return await read(parameterName);
  } catch (error) {
    if (error instanceof MissingParameterError) {
      return JSON.stringify({ [PLACEHOLDER_FIELD]: `SSM parameter ${parameterName} does not exist yet` });
    }
    throw error;
  }
}

/**
 * What can be read about the configured credential without asking Entra for a token: whether the stored secret is
 * still the placeholder, and when the secret (its stored `expiresOn`) or the certificate (its `notAfter`) expires.
 * Reads the same material, through the same reader (and cache), as the credential itself.
 * @throws Error when the material cannot be read (missing secret, no permission, unreadable certificate).
 */
export async function describeMarketplaceCredential(
  config: MarketplaceConfig,
  deps: Pick<MarketplaceCredentialDeps, 'readSecret' | 'readParameter' | 'countSecretVersions'> = {},
): Promise<EntraCredentialDescription> {
  const readSecret = deps.readSecret ?? powertoolsSecretReader;
  const source = config.credential;
  switch (source.kind) {
    case 'secret': {
      const secret = source.secret;
      if ('value' in secret) {
        return describeSecret(parseStoredClientSecret(secret.value), {
          store: 'environment',
          name: ENV.entraClientSecret,
        });
      }
      if ('parameterName' in secret) {
        const material = await storedParameter(deps.readParameter ?? secureParameterReader(), secret.parameterName);
        return describeSecret(parseStoredClientSecret(material), {
          store: 'parameterStore',
          name: secret.parameterName,
        });
      }
      // Secrets Manager only: the stack's secret starts with a generated value, told apart by its single version.
      const [stored, versions] = await Promise.all([
        readSecret(secret.secretArn).then(parseStoredClientSecret),
        deps.countSecretVersions?.(secret.secretArn),
      ]);
      const neverPut = versions !== undefined && versions <= 1;
      return describeSecret(
        { ...stored, placeholder: stored.placeholder || neverPut },
        { store: 'secretsManager', name: secret.secretArn },
      );
    }
    case 'certificate': {
      const certificate = source.certificate;
      return 'path' in certificate
        ? describeCertificate(await readFile(certificate.path, 'utf8'), { store: 'file', name: certificate.path })
        : describeCertificate(await readSecret(certificate.secretArn), {
            store: 'secretsManager',
            name: certificate.secretArn,
          });
    }
    case 'assertion':
      // Federation stores nothing that expires: each assertion is minted when needed.
      return {
        kind: 'assertion',
        location: { store: 'file', name: source.assertionFile ?? 'AssertionProvider' },
        placeholder: false,
        neverExpires: true,
      };
  }
}

function describeSecret(stored: StoredClientSecret, location: CredentialLocation): EntraCredentialDescription {
  return {
    kind: 'secret',
    location,
    placeholder: stored.placeholder,
    ...(stored.expiresOn ? { expiresOn: stored.expiresOn } : {}),
    ...(stored.unreadableExpiry ? { unreadableExpiry: stored.unreadableExpiry } : {}),
  };
}

/**
 * A certificate carries its own expiry (`notAfter`): nothing to store beside it, nothing to forget.
 * @throws Error when the PEM holds no readable certificate.
 */
function describeCertificate(pem: string, location: CredentialLocation): EntraCredentialDescription {
  return { kind: 'certificate', location, placeholder: false, expiresOn: new Date(new X509Certificate(pem).validTo) };
}

/** The hook, called with the description of the first material read only; a description that fails is skipped. */
function firstReadOnce(
  hook: ((description: EntraCredentialDescription) => void) | undefined,
  describe: (material: string) => EntraCredentialDescription,
): ((material: string) => void) | undefined {
  if (!hook) return undefined;
  let called = false;
  return (material) => {
    if (called) return;
    called = true;
    try {
      hook(describe(material));
    } catch {
      // An unreadable certificate fails the token request itself, with the credential's own message.
    }
  };
}

/**
 * A credential whose material (secret or PEM) is read on token requests, and rebuilt when the material changes
 * (rotation). Token requests are rare: `HttpMarketplace` caches the token until 5 minutes before expiry.
 */
class MaterialBackedCredential implements TokenCredential {
  private built: { material: string; credential: TokenCredential } | undefined;

  /**
   * @param usable turns the stored material into what the credential takes, or throws (the stack's placeholder).
   * @param onRead sees every material read (before `usable`), for `onFirstRead`.
   */
  constructor(
    private readonly readMaterial: () => Promise<string>,
    private readonly build: (material: string) => TokenCredential,
    private readonly usable: (stored: string) => string,
    private readonly onRead?: (stored: string) => void,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const stored = await this.readMaterial();
    this.onRead?.(stored);
    const material = this.usable(stored);
    if (this.built?.material !== material) {
      this.built = { material, credential: this.build(material) };
    }
    return this.built.credential.getToken(scopes, options);
  }
}
