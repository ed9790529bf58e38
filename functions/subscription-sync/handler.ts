import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { scheduledRunRecording } from '#shared/adapters/compose/scheduled-run-recording.ts';
import { stopBeforeTimeout, type TimeoutMargin } from '#shared/adapters/lambda/stop-before-timeout.ts';
import { addCount, logger, metrics } from '#shared/observability.ts';
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
    // Counts only when non-zero: an hourly run that found nothing publishes no custom metric (docs/cost.md).
    addCount('SubscriptionsSynced', summary.listed);
    addCount('PendingPurchasesReported', summary.pendingReported);
    addCount('PendingPurchasesExpiring', summary.expiringReported);
    addCount('PendingPurchasesExpired', summary.expiredRecorded);
    addCount('SubscriptionSyncChanges', summary.changesApplied);
    addCount('SubscriptionSyncFailures', summary.failed + (summary.stoppedEarly ? 1 : 0));
    if (summary.stoppedEarly)
      logger.warn('Subscription sync ran out of time; the next run starts over', { ...summary });
    return summary;
  };
}

const config = loadSubscriptionSyncConfig();
export const syncOnSchedule = createSubscriptionSync(await buildSubscriptionSyncDependencies(config));

export const handler = middy<unknown, SyncSummary>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(scheduledRunRecording(config.tableName))
  .handler((event, context) => syncOnSchedule(event, context));
