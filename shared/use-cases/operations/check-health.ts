import type { EntraCredentialReport } from '#shared/use-cases/operations/check-entra-credential.ts';
import type { HealthProbe } from '#shared/use-cases/operations/ports/health-probe.ts';

/** One check of the report: reachable or not, and for the Entra credential its state and what to do. */
export interface HealthCheck {
  readonly ok: boolean;
  readonly error?: string;
  readonly state?: EntraCredentialReport['state'];
  readonly expiresOn?: string;
  readonly daysLeft?: number;
  readonly message?: string;
}

export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: Record<string, HealthCheck>;
}

/**
 * Asks every probe at once and reports each outcome; one failing dependency makes the whole report unhealthy.
 * With `credential`, the marketplace credential is reported as `entraCredential`: a placeholder, expired or
 * unreadable credential is unhealthy (every Microsoft call would fail), one expiring soon or without a stored expiry
 * is healthy with its message. Never throws: a failure is part of the report.
 */
export async function checkHealth(deps: {
  probes: readonly HealthProbe[];
  credential?: () => Promise<EntraCredentialReport>;
}): Promise<HealthReport> {
  const [outcomes, credential] = await Promise.all([
    Promise.allSettled(deps.probes.map((probe) => probe.check())),
    deps.credential?.(),
  ]);
  const checks: Record<string, HealthCheck> = {};
  deps.probes.forEach((probe, index) => {
    const outcome = outcomes[index];
    checks[probe.name] =
      outcome?.status === 'fulfilled'
        ? { ok: true }
        : { ok: false, error: outcome?.reason instanceof Error ? outcome.reason.name : 'unreachable' };
  });
  if (credential) {
    const { ok, state, expiresOn, daysLeft, message } = credential;
    checks.entraCredential = {
      ok,
      state,
      ...(expiresOn ? { expiresOn } : {}),
      ...(daysLeft === undefined ? {} : { daysLeft }),
      message,
    };
  }
  return { healthy: Object.values(checks).every((check) => check.ok), checks };
}
