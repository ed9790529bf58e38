import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AnswerKind } from '#shared/domain/reporting/metering-answers.ts';
import type { ReportingRunSummary } from '#shared/use-cases/metering/report-usage.ts';

/**
 * The reporter's metrics (namespace `MarketplaceMetering`, dimension `service = usage-reporter`). Alarm on:
 * - `OldestUnreportedSlotAgeHours` > 20 (anything not reported well before Microsoft's 24 h window closes);
 * - `DuplicateQuantityMismatch`, `MeteringRejected`, `ExpiredAfterRetry`, `UnreportableCarry`, `ReportingBlocked`
 *   ≥ 1 (each means money at risk or a configuration bug).
 */
export const REPORTER_METRICS = {
  oldestUnreportedAgeHours: 'OldestUnreportedSlotAgeHours',
  reportedSlots: 'ReportedSlots',
  duplicateMismatch: 'DuplicateQuantityMismatch',
  rejected: 'MeteringRejected',
  expiredAfterRetry: 'ExpiredAfterRetry',
  unreportableCarry: 'UnreportableCarry',
  blocked: 'ReportingBlocked',
} as const;

/** Adds one run's figures to the metrics flushed by the `logMetrics` middleware. */
export function recordReportingMetrics(metrics: Metrics, summary: ReportingRunSummary): void {
  metrics.addMetric(REPORTER_METRICS.oldestUnreportedAgeHours, MetricUnit.NoUnit, summary.oldestUnreportedAgeHours);
  for (const [status, count] of Object.entries(summary.answers) as [AnswerKind, number][]) {
    // One metric with a `status` dimension per answer kind: a dashboard stacks them, an alarm picks one.
    metrics
      .singleMetric()
      .addDimension('status', status)
      .addMetric(REPORTER_METRICS.reportedSlots, MetricUnit.Count, count);
  }
  metrics.addMetric(REPORTER_METRICS.duplicateMismatch, MetricUnit.Count, summary.answers.duplicateMismatch);
  metrics.addMetric(REPORTER_METRICS.rejected, MetricUnit.Count, summary.answers.rejected);
  metrics.addMetric(REPORTER_METRICS.expiredAfterRetry, MetricUnit.Count, summary.expiredAfterRetry);
  metrics.addMetric(REPORTER_METRICS.unreportableCarry, MetricUnit.Count, summary.carryUnreportable);
  metrics.addMetric(REPORTER_METRICS.blocked, MetricUnit.Count, summary.blockedGroups);
  metrics.addMetric('SlotsRated', MetricUnit.Count, summary.slotsRated);
  metrics.addMetric('SlotsIncluded', MetricUnit.Count, summary.slotsIncluded);
  metrics.addMetric('SlotsFoldedOutsideWindow', MetricUnit.Count, summary.slotsFoldedOutsideWindow);
  metrics.addMetric('LateUsageFolds', MetricUnit.Count, summary.lateFolds);
  metrics.addMetric('UnreportableSlots', MetricUnit.Count, summary.unreportableSlots);
  metrics.addMetric('CarryPlaced', MetricUnit.Count, summary.carryPlaced);
  metrics.addMetric('MeteringEventsSent', MetricUnit.Count, summary.eventsSent);
  metrics.addMetric('MeteringBatchFailures', MetricUnit.Count, summary.batchFailures);
  metrics.addMetric('MeteringAlertFailures', MetricUnit.Count, summary.alertFailures);
  metrics.addMetric('ReportingFailedGroups', MetricUnit.Count, summary.failedGroups);
  metrics.addMetric('ReportingConflicts', MetricUnit.Count, summary.conflicts);
}
