import {
  type EvaluateSubscriptionAlertsDeps,
  type EvaluationLogger,
  evaluateSubscriptionAlerts,
} from '#shared/use-cases/alerts/evaluate-subscription-alerts.ts';
import type { AlertSettings, AlertSettingsReader } from '#shared/use-cases/alerts/ports/alert-settings-reader.ts';

/** Longest the alert evaluation after a batch may take: alerts are near real time, not on the counting path. */
export const ALERT_EVALUATION_BUDGET_MS = 10_000;

export interface EvaluateAlertsAfterAggregationDeps extends EvaluateSubscriptionAlertsDeps {
  readonly logger: EvaluationLogger;
  /** Reads the alert settings of a whole batch's subscriptions at once (else two reads per subscription). */
  readonly alertSettings?: AlertSettingsReader;
}

export interface EvaluateAlertsAfterAggregationInput {
  /**
   * The subscriptions whose usage the batch grew now (not those whose messages were all counted before: their usage
   * was committed, and evaluated, by an earlier delivery). Repeats are evaluated once.
   */
  readonly subscriptionIds: readonly string[];
  /** The caller's own deadline (its function's timeout less the time to return its answer); none in tests. */
  readonly stopAt?: Date;
}

export interface BestEffortSummary {
  readonly evaluated: number;
  readonly sent: number;
  readonly failed: number;
  /** Subscriptions not evaluated (or not finished) within the time budget; the hourly run covers them. */
  readonly deferred: number;
}

/**
 * Evaluates the alerts of the subscriptions whose usage a batch of the usage queue just committed (DESIGN "Shape":
 * aggregator → alert evaluation), without ever failing or delaying the counting:
 * - each subscription is evaluated once, however many of the batch's messages touched it; nothing is evaluated when
 *   the batch applied nothing new;
 * - the evaluation is time-boxed: at most `ALERT_EVALUATION_BUDGET_MS`, and never past `stopAt`, so a slow evaluation
 *   cannot make the function time out (SQS would then redeliver messages already applied);
 * - every error is logged and counted, never thrown (`evaluateSubscriptionsBestEffort`).
 *
 * Why after the batch rather than in a function of its own behind another queue: the rules need the committed usage,
 * which is exactly what the batch just wrote, and another queue would add a hop, a send on the counting path and a
 * dead-letter queue to run, for no gain in safety. What this misses (an error, the time box), the hourly alert check
 * (`evaluateAllSubscriptionAlerts`) catches: alert keys make the second evaluation send only what the first did not.
 */
export async function evaluateAlertsAfterAggregation(
  deps: EvaluateAlertsAfterAggregationDeps,
  input: EvaluateAlertsAfterAggregationInput,
): Promise<BestEffortSummary> {
  const subscriptionIds = new Set(input.subscriptionIds);
  if (subscriptionIds.size === 0) return { evaluated: 0, sent: 0, failed: 0, deferred: 0 };
  const timeLeftMs =
    input.stopAt === undefined ? Number.POSITIVE_INFINITY : input.stopAt.getTime() - deps.clock.now().getTime();
  return evaluateSubscriptionsBestEffort(deps, [...subscriptionIds], Math.min(ALERT_EVALUATION_BUDGET_MS, timeLeftMs));
}

/**
 * Evaluates several subscriptions without ever throwing: each failure is logged and counted, and whatever is not
 * finished within `budgetMs` is left (not awaited) to the next evaluation. For callers whose own work must not suffer
 * from alerts: the usage aggregator after a commit (`evaluateAlertsAfterAggregation`).
 *
 * With an `alertSettings` reader, the settings of all the subscriptions are read first in one go (one BatchGetItem
 * for up to 50 subscriptions, instead of two reads each), and subscriptions without settings count as evaluated
 * without any further read; if that read fails, every subscription counts as failed (the hourly run covers them).
 */
export async function evaluateSubscriptionsBestEffort(
  deps: EvaluateSubscriptionAlertsDeps & {
    readonly logger: EvaluationLogger;
    readonly alertSettings?: AlertSettingsReader;
  },
  subscriptionIds: readonly string[],
  budgetMs: number,
): Promise<BestEffortSummary> {
  let evaluated = 0;
  let sent = 0;
  let failed = 0;
  const evaluateOne = async (subscriptionId: string, settings?: AlertSettings) => {
    try {
      const result = await evaluateSubscriptionAlerts(deps, subscriptionId, settings);
      evaluated++;
      sent += result.results.filter((r) => r.outcome === 'sent').length;
    } catch (error) {
      failed++;
      deps.logger.warn('Alert evaluation failed; the next evaluation retries it', { subscriptionId, error });
    }
  };
  const evaluateAll = async () => {
    if (!deps.alertSettings) {
      await Promise.all(subscriptionIds.map((subscriptionId) => evaluateOne(subscriptionId)));
      return;
    }
    let settings: Map<string, AlertSettings>;
    try {
      settings = await deps.alertSettings.readMany(subscriptionIds);
    } catch (error) {
      failed += subscriptionIds.length;
      deps.logger.warn('Alert settings could not be read; the next evaluation retries them', {
        subscriptions: subscriptionIds.length,
        error,
      });
      return;
    }
    await Promise.all(
      subscriptionIds.map((subscriptionId) => evaluateOne(subscriptionId, settings.get(subscriptionId) ?? {})),
    );
  };
  const all = evaluateAll();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, budgetMs));
  });
  const outcome = await Promise.race([all.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  const deferred = outcome === 'timeout' ? subscriptionIds.length - evaluated - failed : 0;
  if (deferred > 0) {
    deps.logger.warn('Alert evaluation did not finish in its time budget; the hourly run covers the rest', {
      deferred,
      budgetMs,
    });
  }
  return { evaluated, sent, failed, deferred };
}
