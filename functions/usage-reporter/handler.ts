import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { buildUsageReporterDependencies } from '#shared/adapters/compose/usage-reporter-dependencies.ts';
import { scheduledEventSchema } from '#shared/adapters/lambda/scheduled-event.ts';
import { logger, metrics } from '#shared/observability.ts';
import { type ReportingRunSummary, reportUsage } from '#shared/use-cases/metering/report-usage.ts';
import { loadUsageReporterConfig } from './config.ts';
import { recordReportingMetrics } from './metrics.ts';

const deps = await buildUsageReporterDependencies(loadUsageReporterConfig());

/**
 * Scheduled every 10 minutes: reports every closed hour (hour + 1 h + grace ≤ now) of every subscription, catching up
 * any backlog, and resends events left unanswered by an earlier run. Throws only when the unreported index cannot be
 * read; everything else is counted in the metrics and retried by the next run.
 */
export async function reportUsageOnSchedule(event: unknown): Promise<ReportingRunSummary> {
  scheduledEventSchema.parse(event);
  const summary = await reportUsage(deps);
  recordReportingMetrics(metrics, summary);
  logger.info('Usage report run finished', { ...summary });
  return summary;
}

export const handler = middy<unknown, ReportingRunSummary>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(reportUsageOnSchedule);
