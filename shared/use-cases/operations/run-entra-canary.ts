import { nextCanaryStreak } from '#shared/domain/scheduled-runs.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import { checkEntraCredential, type EntraCredentialReport } from './check-entra-credential.ts';
import type {
  EntraCredentialInspector,
  LandingPageProbe,
  MarketplaceTokenProbe,
} from './ports/entra-credential-inspector.ts';
import type { CanaryStreakStore } from './ports/schedule-runs.ts';

/** The canary's interval (SCHEDULES `EntraCanary` in infra/functions.ts; a test holds the two equal). */
export const ENTRA_CANARY_EVERY_MINUTES = 60;

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
  /** Failed attempts in a row, this one included (0 when it passed). */
  readonly failuresInARow: number;
  /**
   * This attempt failed and so did the one before (`CANARY_FAILURES_TO_PAGE`): a lasting failure, counted as
   * `EntraCanaryFailed`. A single failed attempt is left to the next run to confirm.
   */
  readonly confirmedFailure: boolean;
}

/**
 * The hourly synthetic check of what Microsoft depends on: asks Entra for a marketplace token with the configured
 * credential (no cache, as the marketplace client would on a cold start), opens the landing page without a token
 * as a buyer's browser first does, and reads the credential's state (placeholder, expiry). The checks run at once and
 * each failure is reported, never thrown. Then it compares with its previous attempt (`streaks`): a failure confirmed
 * by the attempt before (`CANARY_FAILURES_TO_PAGE` in a row) is `confirmedFailure`. The streak is written only when it
 * changes, so a healthy hour writes nothing.
 * @throws Error when the streak cannot be read or written (the table out of reach).
 */
export async function runEntraCanary(deps: {
  readonly tokens: MarketplaceTokenProbe;
  readonly landing: LandingPageProbe;
  readonly inspector: EntraCredentialInspector;
  readonly clock: Clock;
  readonly streaks: CanaryStreakStore;
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
  const now = deps.clock.now();
  const reportDaysLeft = credential.daysLeft !== undefined && now.getUTCHours() === DAYS_LEFT_REPORT_HOUR_UTC;
  const ok = token.ok && landing.ok && credential.ok;
  const previous = await deps.streaks.read();
  const { streak, page } = nextCanaryStreak(previous, ok, now, ENTRA_CANARY_EVERY_MINUTES);
  if (!(ok && previous?.failuresInARow === 0)) await deps.streaks.write(streak);
  return {
    ok,
    token,
    landing,
    credential,
    ...(reportDaysLeft ? { daysLeftToReport: credential.daysLeft } : {}),
    failuresInARow: streak.failuresInARow,
    confirmedFailure: page,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
