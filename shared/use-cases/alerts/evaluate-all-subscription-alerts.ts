import type { SubscriptionStatus } from '#shared/domain/subscription.ts';
import {
  type EvaluateSubscriptionAlertsDeps,
  type EvaluationLogger,
  evaluateSubscriptionAlerts,
} from '#shared/use-cases/alerts/evaluate-subscription-alerts.ts';
import type { VersionedSubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface EvaluateAllDeps extends EvaluateSubscriptionAlertsDeps {
  readonly subscriptionList: Pick<VersionedSubscriptionStore, 'listByStatus'>;
  readonly logger: EvaluationLogger;
}

export interface EvaluateAllOptions {
  /** Evaluations running at once (default 8): bounds the load on DynamoDB and SNS. */
  readonly concurrency?: number;
  /** Start no evaluation after this instant (the function's timeout is near); the next run starts over. */
  readonly stopAt?: Date;
}

export interface EvaluateAllSummary {
  readonly listed: number;
  readonly evaluated: number;
  readonly withoutSettings: number;
  readonly sent: number;
  readonly failed: number;
  /** True when `stopAt` came before every subscription was evaluated. */
  readonly stoppedEarly: boolean;
}

/**
 * Statuses whose subscriptions can still run up charges: Suspended ones keep their term and may be reinstated; an
 * Unsubscribed one is charged nothing more (its closed months no longer matter to anyone's credit).
 */
const EVALUATED_STATUSES: readonly SubscriptionStatus[] = ['Subscribed', 'Suspended'];
const PAGE_SIZE = 100;
const DEFAULT_CONCURRENCY = 8;

/**
 * The scheduled alert check (day close: the spike of the completed day; month start: the provisional credit is
 * recomputed and the largest month compared with the purchase-blocked level; and whatever the near-real-time
 * evaluation after aggregation missed). ONE hourly schedule does all of it: every rule keys its alert by day or
 * month in the recipient's time zone, so an hourly run reaches each local midnight within the hour whatever the zone
 * (Tokyo's midnight is 15:00 UTC), and running again within a period sends nothing twice.
 *
 * Which subscriptions: the Subscribed and Suspended ones, listed page by page from the subscription store's status
 * index. Each evaluation reads the budget and the credit link first and stops there when there is neither (two
 * reads), so subscriptions without alert settings cost little; those with settings cost what
 * `evaluateSubscriptionAlerts` states. One failing subscription is logged and counted, never stops the others.
 * @throws Error when the subscription list cannot be read (the next run starts over).
 */
export async function evaluateAllSubscriptionAlerts(
  deps: EvaluateAllDeps,
  options: EvaluateAllOptions = {},
): Promise<EvaluateAllSummary> {
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  let listed = 0;
  let evaluated = 0;
  let withoutSettings = 0;
  let sent = 0;
  let failed = 0;
  let stoppedEarly = false;
  const tooLate = () => options.stopAt !== undefined && deps.clock.now().getTime() >= options.stopAt.getTime();

  for (const status of EVALUATED_STATUSES) {
    let cursor: string | undefined;
    do {
      if (tooLate()) {
        stoppedEarly = true;
        break;
      }
      const page = await deps.subscriptionList.listByStatus(status, {
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      const ids = page.subscriptions.map((stored) => stored.subscription.id);
      listed += ids.length;
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          if (tooLate()) {
            stoppedEarly = true;
            return;
          }
          const subscriptionId = ids[next++] as string;
          try {
            const result = await evaluateSubscriptionAlerts(deps, subscriptionId);
            if (result.outcome === 'noSettings') withoutSettings++;
            else evaluated++;
            sent += result.results.filter((r) => r.outcome === 'sent').length;
          } catch (error) {
            failed++;
            deps.logger.warn('Scheduled alert evaluation failed for one subscription', { subscriptionId, error });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
      cursor = page.nextCursor;
    } while (cursor && !stoppedEarly);
    if (stoppedEarly) break;
  }
  return { listed, evaluated, withoutSettings, sent, failed, stoppedEarly };
}
