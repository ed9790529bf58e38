import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { stopBeforeTimeout, type TimeoutMargin } from '#shared/adapters/lambda/stop-before-timeout.ts';
import { logger, metrics } from '#shared/observability.ts';
import {
  type SyncSubscriptionsDeps,
  type SyncSummary,
  syncSubscriptions,
} from '#shared/use-cases/fulfillment/sync-subscriptions.ts';
import { loadSubscriptionSyncConfig } from './config.ts';
import { buildSubscriptionSyncDependencies } from './dependencies.ts';

/** Stop starting new subscriptions this long before the timeout, so the run ends cleanly and reports what it did. */
const STOP_MARGIN: TimeoutMargin = { ms: 20_000, shrinkWithTimeLeft: true };

/**
 * The scheduled reconciliation with List Subscriptions (SCHEDULES `SubscriptionSync`). The event is not read: every
 * run reconciles everything, so a late, repeated or manual invocation is harmless. A subscription that fails is
 * logged and counted (metric `SubscriptionSyncFailures`, alarm on it) and retried by the next run; only a failure to
 * list at all fails the invocation.
 */
export function createSubscriptionSync(deps: SyncSubscriptionsDeps) {
  return async (_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SyncSummary> => {
    const stopAt = stopBeforeTimeout(context, deps.clock.now(), STOP_MARGIN);
    const summary = await syncSubscriptions(deps, { stopAt });
    logger.info('Subscription sync done', { ...summary });
    metrics.addMetric('SubscriptionsSynced', MetricUnit.Count, summary.listed);
    metrics.addMetric('PendingPurchasesReported', MetricUnit.Count, summary.pendingReported);
    metrics.addMetric('PendingPurchasesExpiring', MetricUnit.Count, summary.expiringReported);
    metrics.addMetric('PendingPurchasesExpired', MetricUnit.Count, summary.expiredRecorded);
    metrics.addMetric('SubscriptionSyncChanges', MetricUnit.Count, summary.changesApplied);
    metrics.addMetric('SubscriptionSyncFailures', MetricUnit.Count, summary.failed + (summary.stoppedEarly ? 1 : 0));
    if (summary.stoppedEarly)
      logger.warn('Subscription sync ran out of time; the next run starts over', { ...summary });
    return summary;
  };
}

export const syncOnSchedule = createSubscriptionSync(
  await buildSubscriptionSyncDependencies(loadSubscriptionSyncConfig()),
);

export const handler = middy<unknown, SyncSummary>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler((event, context) => syncOnSchedule(event, context));
