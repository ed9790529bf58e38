import type { Clock } from '#shared/use-cases/ports/clock.ts';
import { checkEntraCredential, type EntraCredentialReport } from './check-entra-credential.ts';
import type {
  EntraCredentialInspector,
  LandingPageProbe,
  MarketplaceTokenProbe,
} from './ports/entra-credential-inspector.ts';

/**
 * The UTC hour whose run reports the days left before the credential expires. Once a day is enough for a 30-day
 * warning, and a custom metric is billed per hour in which it receives data: one datapoint a day costs 1/24 of one
 * sent every hour (docs/operate.md, metrics cost).
 */
export const DAYS_LEFT_REPORT_HOUR_UTC = 0;

export interface EntraCanaryResult {
  /** Every check passed: a token was issued, the landing page answered, the credential is usable. */
  readonly ok: boolean;
  readonly token: { readonly ok: boolean; readonly error?: string };
  /** `ok` for any answer below 500: without a purchase token the page asks to sign in or explains the token. */
  readonly landing: { readonly ok: boolean; readonly status?: number; readonly error?: string };
  readonly credential: EntraCredentialReport;
  /** Days left to report as a metric in this run (once a day, when the expiry is known). */
  readonly daysLeftToReport?: number;
}

/**
 * The hourly synthetic check of what Microsoft depends on: asks Entra for a marketplace token with the configured
 * credential (no cache, as the marketplace client would on a cold start), opens the landing page without a token
 * as a buyer's browser first does, and reads the credential's state (placeholder, expiry). The checks run at once and
 * each failure is reported, never thrown.
 */
export async function runEntraCanary(deps: {
  readonly tokens: MarketplaceTokenProbe;
  readonly landing: LandingPageProbe;
  readonly inspector: EntraCredentialInspector;
  readonly clock: Clock;
}): Promise<EntraCanaryResult> {
  const [token, landing, credential] = await Promise.all([
    deps.tokens.acquireToken().then(
      () => ({ ok: true }),
      (error: unknown) => ({ ok: false, error: messageOf(error) }),
    ),
    deps.landing.open().then(
      ({ status }) => ({ ok: status < 500, status }),
      (error: unknown) => ({ ok: false, error: messageOf(error) }),
    ),
    checkEntraCredential(deps),
  ]);
  const reportDaysLeft =
    credential.daysLeft !== undefined && deps.clock.now().getUTCHours() === DAYS_LEFT_REPORT_HOUR_UTC;
  return {
    ok: token.ok && landing.ok && credential.ok,
    token,
    landing,
    credential,
    ...(reportDaysLeft ? { daysLeftToReport: credential.daysLeft } : {}),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
