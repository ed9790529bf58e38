import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AnswerKind } from '#shared/domain/reporting/metering-answers.ts';
import { DEFAULT_UNREPORTED_ALARM_HOURS } from '#shared/domain/reporting/report-schedule.ts';
import { addCount } from '#shared/observability.ts';
import type { ReportingRunSummary } from '#shared/use-cases/metering/report-usage.ts';

/**
 * The reporter's metrics (namespace `MarketplaceMetering`, dimension `service = usage-reporter`). Those that need an
 * operator add to `NeedsAttention` (shared/needs-attention.ts): `UnreportedUsageOverdue` (the oldest unreported usage
 * is older than 20 h, well before Microsoft's 24 h window closes), `DuplicateQuantityMismatch`, `MeteringRejected`,
 * `ExpiredAfterRetry`, `UnreportableCarry`, `ReportingBlocked` (each means money at risk or a configuration bug).
 */
export const REPORTER_METRICS = {
  oldestUnreportedAgeHours: 'OldestUnreportedSlotAgeHours',
  reportedSlots: 'ReportedSlots',
  duplicateMismatch: 'DuplicateQuantityMismatch',
  rejected: 'MeteringRejected',
  expiredAfterRetry: 'ExpiredAfterRetry',
  unreportableCarry: 'UnreportableCarry',
  blocked: 'ReportingBlocked',
  overdue: 'UnreportedUsageOverdue',
} as const;

/**
 * Adds one run's figures to the metrics flushed by the `logMetrics` middleware, each only when it is not zero: the
 * workers run every 10 minutes on every shard, and a zero published by each idle run would make every one of these
 * a billed custom metric (docs/cost.md). `OldestUnreportedSlotAgeHours` is published only while usage waits to be
 * reported; a reporter that stops running is caught by `UsageReporterNotRunningAlarm` on Lambda's own metric.
 */
export function recordReportingMetrics(
  metrics: Pick<Metrics, 'addMetric' | 'singleMetric'>,
  summary: ReportingRunSummary,
): void {
  if (summary.oldestUnreportedHour !== undefined) {
    metrics.addMetric(REPORTER_METRICS.oldestUnreportedAgeHours, MetricUnit.NoUnit, summary.oldestUnreportedAgeHours);
    // The reporter decides, not an alarm threshold on the age: the age is then a graph, and the one alarm on
    // NeedsAttention covers this with the other counts.
    if (summary.oldestUnreportedAgeHours > DEFAULT_UNREPORTED_ALARM_HOURS)
      addCount(REPORTER_METRICS.overdue, 1, metrics);
  }
  for (const [status, count] of Object.entries(summary.answers) as [AnswerKind, number][]) {
    if (count === 0) continue;
    // One metric with a `status` dimension per answer kind: a dashboard stacks them, an alarm picks one.
    metrics
      .singleMetric()
      .addDimension('status', status)
      .addMetric(REPORTER_METRICS.reportedSlots, MetricUnit.Count, count);
  }
  const counts: [string, number][] = [
    [REPORTER_METRICS.duplicateMismatch, summary.answers.duplicateMismatch],
    [REPORTER_METRICS.rejected, summary.answers.rejected],
    [REPORTER_METRICS.expiredAfterRetry, summary.expiredAfterRetry],
    [REPORTER_METRICS.unreportableCarry, summary.carryUnreportable],
    [REPORTER_METRICS.blocked, summary.blockedGroups],
    ['SlotsRated', summary.slotsRated],
    ['SlotsIncluded', summary.slotsIncluded],
    ['SlotsFoldedOutsideWindow', summary.slotsFoldedOutsideWindow],
    ['LateUsageFolds', summary.lateFolds],
    ['UnreportableSlots', summary.unreportableSlots],
    ['CarryPlaced', summary.carryPlaced],
    ['MeteringEventsSent', summary.eventsSent],
    ['MeteringBatchFailures', summary.batchFailures],
    ['MeteringAlertFailures', summary.alertFailures],
    ['ReportingFailedGroups', summary.failedGroups],
    ['ReportingConflicts', summary.conflicts],
  ];
  for (const [name, count] of counts) addCount(name, count, metrics);
}
