import type { HealthProbe } from '#shared/use-cases/operations/ports/health-probe.ts';

export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: Record<string, { ok: boolean; error?: string }>;
}

/**
 * Asks every probe at once and reports each outcome; one failing dependency makes the whole report unhealthy.
 * Never throws: a failure is part of the report.
 */
export async function checkHealth(deps: { probes: readonly HealthProbe[] }): Promise<HealthReport> {
  const outcomes = await Promise.allSettled(deps.probes.map((probe) => probe.check()));
  const checks: HealthReport['checks'] = {};
  deps.probes.forEach((probe, index) => {
    const outcome = outcomes[index];
    checks[probe.name] =
      outcome?.status === 'fulfilled'
        ? { ok: true }
        : { ok: false, error: outcome?.reason instanceof Error ? outcome.reason.name : 'unreachable' };
  });
  return { healthy: Object.values(checks).every((check) => check.ok), checks };
}
