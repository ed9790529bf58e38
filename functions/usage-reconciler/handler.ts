import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { scheduledRunRecording } from '#shared/adapters/compose/scheduled-run-recording.ts';
import { scheduledEventSchema } from '#shared/adapters/lambda/scheduled-event.ts';
import { addCount, logger, metrics } from '#shared/observability.ts';
import { type ReconcileUsageResult, reconcileUsage } from '#shared/use-cases/metering/reconcile-usage.ts';
import { loadUsageReconcilerConfig } from './config.ts';
import { buildUsageReconcilerDependencies } from './dependencies.ts';

const config = loadUsageReconcilerConfig();
const deps = await buildUsageReconcilerDependencies(config);

/**
 * Daily: compares yesterday's (UTC) accepted usage in our ledger with Microsoft's retrieval API and logs every
 * difference; `ReconcileDifferences` > 0 is worth an alarm (a slot billed twice, or usage Microsoft does not have).
 */
export async function reconcileYesterday(event: unknown): Promise<ReconcileUsageResult> {
  scheduledEventSchema.parse(event);
  const day = new Date(deps.clock.now().getTime() - 86_400_000).toISOString().slice(0, 10);
  const result = await reconcileUsage(deps, { from: day, to: day });
  // Published only when there are differences (alarm ReconcileDifferences ≥ 1; no custom metric on a clean day).
  addCount('ReconcileDifferences', result.differences.length);
  if (result.differences.length > 0) logger.error('Ledger and Microsoft disagree', { ...result });
  else logger.info('Ledger and Microsoft agree', { day, compared: result.compared });
  return result;
}

export const handler = middy<unknown, ReconcileUsageResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(scheduledRunRecording(config.tableName))
  .handler(reconcileYesterday);
