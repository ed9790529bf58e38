import { timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, customFetch, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { UnauthenticatedError } from '#shared/domain/errors.ts';
import {
  MarketplaceCallRefusedError,
  type WebhookAuthenticator,
  type WebhookCaller,
} from '#shared/use-cases/fulfillment/ports/webhook-authenticator.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';
import { fetchTrusting } from './fetch-with-ca.ts';

/** The marketplace's first-party app: the `azp` (v2) or `appid` (v1) of every webhook token (marketplace-api.md §2.3). */
export const MARKETPLACE_APP_ID = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7';

/** Microsoft allows 5 minutes of clock skew at most; we allow exactly that. */
const CLOCK_SKEW_SECONDS = 300;

export interface EntraWebhookAuthenticatorOptions {
  /** The Entra tenant id entered on the offer's Technical configuration page (the publisher's tenant). */
  readonly tenantId: string;
  /** The Entra application (client) id entered there: the tokens' audience. */
  readonly appId: string;
  /** Default `https://login.microsoftonline.com`; the local emulator's fake Entra elsewhere. */
  readonly authorityHost?: string;
  /** PEM of an extra CA to trust for the keys endpoint (the emulator's self-signed certificate). */
  readonly caCertificatePem?: string;
  /**
   * Optional defence in depth (marketplace-api.md §2.3): a secret in the webhook URL's query string, e.g.
   * `https://…/webhook?secret=…`. When set, calls without it are refused even with a valid token.
   */
  readonly sharedSecret?: { readonly parameter: string; readonly value: string };
  /**
   * Least time between two fetches of the keys (default 30 s): a flood of tokens with made-up `kid`s then costs
   * one fetch per period, not one per request. Tests set 0.
   */
  readonly keyRefetchCooldownMs?: number;
  /** The time `exp` and `nbf` are checked against (default `systemClock`, which the local mode can move ahead). */
  readonly clock?: Clock;
}

/**
 * Verifies the bearer JWT Microsoft sends with every webhook call, with `jose` against the publisher tenant's
 * published signing keys (cached; a token with an unknown `kid` makes jose refetch them, which is how Entra key
 * rotation is picked up):
 * - signature RS256 only: `alg: none`, HMAC-signed tokens and keys not in the tenant's JWKS are refused;
 * - `exp`/`nbf` with at most 5 minutes of skew;
 * - `aud` = the publisher's app id (also in its `api://<appId>` form), `tid` = the publisher's tenant;
 * - `azp` (v2 tokens) or `appid` (v1 tokens) = the marketplace app `20e940b3-…`;
 * - `iss` = the tenant's v1 (`https://sts.windows.net/{tid}/`) or v2 (`{authority}/{tid}/v2.0`) issuer. The SaaS
 *   Accelerator skips the issuer; we check both valid forms instead, which refuses tokens of other tenants' issuers.
 */
export class EntraWebhookAuthenticator implements WebhookAuthenticator {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  private readonly issuers: string[];
  private readonly audiences: string[];

  constructor(private readonly options: EntraWebhookAuthenticatorOptions) {
    const authority = (options.authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
    const jwksUrl = new URL(`${authority}/${options.tenantId}/discovery/v2.0/keys`);
    this.keys = createRemoteJWKSet(jwksUrl, {
      cacheMaxAge: 6 * 3600_000,
      cooldownDuration: options.keyRefetchCooldownMs ?? 30_000,
      ...(options.caCertificatePem ? { [customFetch]: fetchTrusting(options.caCertificatePem) } : {}),
    });
    this.issuers = [`https://sts.windows.net/${options.tenantId}/`, `${authority}/${options.tenantId}/v2.0`];
    if (authority !== 'https://login.microsoftonline.com') {
      this.issuers.push(`https://login.microsoftonline.com/${options.tenantId}/v2.0`);
    }
    this.audiences = [options.appId, `api://${options.appId}`];
  }

  async verify(
    authorization: string | undefined,
    query: Readonly<Record<string, string | undefined>>,
  ): Promise<WebhookCaller> {
    this.checkSharedSecret(query);
    const token = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
    if (!token) throw new UnauthenticatedError('Webhook call without a bearer token.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ['RS256'],
        audience: this.audiences,
        issuer: this.issuers,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: (this.options.clock ?? systemClock).now(),
        requiredClaims: ['exp', 'tid'],
      }));
    } catch (error) {
      // jose checks the claims only after the signature: a token of the marketplace app whose audience or issuer is
      // not ours was signed by Entra for Microsoft's marketplace, so the configuration is wrong, not the caller.
      const Refused = isMarketplaceTokenForAnotherApp(error) ? MarketplaceCallRefusedError : UnauthenticatedError;
      throw new Refused(`Webhook token refused: ${describe(error)}`, { cause: error });
    }
    const caller = payload.azp ?? payload.appid;
    if (payload.tid !== this.options.tenantId) {
      const Refused = caller === MARKETPLACE_APP_ID ? MarketplaceCallRefusedError : UnauthenticatedError;
      throw new Refused('Webhook token refused: tid is not the publisher tenant.');
    }
    if (caller !== MARKETPLACE_APP_ID) {
      throw new UnauthenticatedError('Webhook token refused: azp/appid is not the Microsoft marketplace app.');
    }
    return {
      tenantId: this.options.tenantId,
      appId: this.options.appId,
      tokenVersion: payload.ver === '1.0' ? '1.0' : '2.0',
    };
  }

  private checkSharedSecret(query: Readonly<Record<string, string | undefined>>): void {
    const expected = this.options.sharedSecret;
    if (!expected) return;
    const presented = Buffer.from(query[expected.parameter] ?? '');
    const wanted = Buffer.from(expected.value);
    if (presented.length !== wanted.length || !timingSafeEqual(presented, wanted)) {
      throw new UnauthenticatedError('Webhook call without the expected shared secret in its URL.');
    }
  }
}

/** A signed token of the marketplace app refused for its audience or issuer (another app or tenant than ours). */
function isMarketplaceTokenForAnotherApp(error: unknown): boolean {
  if (!(error instanceof joseErrors.JWTClaimValidationFailed)) return false;
  const caller = error.payload.azp ?? error.payload.appid;
  return caller === MARKETPLACE_APP_ID && (error.claim === 'aud' || error.claim === 'iss');
}

/** A reason for the logs; the caller only ever sees 401. */
function describe(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is not as expected`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'signed with a key the tenant does not publish';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed (RS256 only)';
  if (error instanceof Error) return error.message;
  return 'invalid token';
}
