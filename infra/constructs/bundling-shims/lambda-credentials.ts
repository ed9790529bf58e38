/**
 * Stands in for `@aws-sdk/credential-provider-node` in function bundles (functionBundling's
 * `--alias:@aws-sdk/credential-provider-node`). Every SDK client takes its default credentials from that package's
 * chain: environment, SSO, shared ini files, a credential process, a web-identity token file, then the container and
 * instance metadata endpoints. The chain carries its own STS and SSO clients (`@aws-sdk/nested-clients`, about 100 KB
 * of every bundle with the providers). On Lambda only the first link can ever answer: the runtime puts the function
 * role's credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, and the chain reads
 * them first. So in a bundle the default provider is the environment provider, the same answer without the rest.
 *
 * Local mode and the tests do not bundle: they keep the whole chain (profiles, SSO) for a developer's machine.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type EnvInit = Parameters<typeof fromEnv>[0];

/** The chain's entry point, reduced to its environment link. */
export const defaultProvider = (init: EnvInit = {}) => fromEnv(init);

interface Expiring {
  readonly expiration?: Date;
}

/** Same contract as the package's export: credentials with an expiry are refreshed. */
export const credentialsWillNeedRefresh = (credentials?: Expiring): boolean => credentials?.expiration !== undefined;

/** Same contract as the package's export: credentials within five minutes of their expiry count as expired. */
export const credentialsTreatedAsExpired = (credentials?: Expiring): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 5 * 60 * 1000;
