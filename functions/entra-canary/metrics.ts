import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EXPIRY_WARNING_DAYS } from '#shared/domain/entra-credential.ts';
import { addCount } from '#shared/observability.ts';
import type { EntraCanaryResult } from '#shared/use-cases/operations/run-entra-canary.ts';

/**
 * The canary's metrics. It decides what needs an operator and counts it (each adds to `NeedsAttention`,
 * shared/needs-attention.ts): `EntraCanaryFailed` for a failed run whose previous attempt failed too (a single failed
 * attempt is left to the next run to confirm, `CANARY_FAILURES_TO_PAGE`), `EntraCredentialExpiring` once a
 * day while the credential has `EXPIRY_WARNING_DAYS` days left or fewer. `EntraCredentialDaysLeft` stays a gauge for
 * the dashboard, once a day when the expiry is known (a datapoint a day is 1/24 of the price of an hourly one).
 */
export function recordCanaryMetrics(
  metrics: Pick<Metrics, 'addMetric' | 'singleMetric'>,
  result: EntraCanaryResult,
): void {
  if (result.daysLeftToReport !== undefined) {
    metrics.addMetric('EntraCredentialDaysLeft', MetricUnit.Count, result.daysLeftToReport);
    if (result.daysLeftToReport <= EXPIRY_WARNING_DAYS) addCount('EntraCredentialExpiring', 1, metrics);
  }
  if (result.confirmedFailure) addCount('EntraCanaryFailed', 1, metrics);
}
