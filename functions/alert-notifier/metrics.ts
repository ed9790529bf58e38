import type { Metrics } from '@aws-lambda-powertools/metrics';
import { addCount } from '#shared/observability.ts';
import type { NotifyRecipientResult } from '#shared/use-cases/alerts/notify-recipient.ts';

/**
 * The receive from which a channel's refusal of an alert needs an operator. A refused send comes back after 30 s,
 * then 1, 2, 4 and 8 minutes (`comeBackDelaySeconds`): a refusal on the 6th receive has lasted about 15 minutes,
 * which a throttling blip does not. (An alert held for an unconfirmed contact also counts receives, at 15 minutes and
 * more each, so a refusal of a long-held alert counts sooner: it is late already.)
 */
export const ALERT_DELIVERY_LATE_FROM_RECEIVE = 6;

/**
 * The notifier's counts for one alert, only when not zero: `AlertDeliveriesSent`, `AlertDeliveryRetries` (contacts a
 * channel refused for now, a graph), and `AlertDeliveryLate` (1 when refusals go on from receive
 * `ALERT_DELIVERY_LATE_FROM_RECEIVE`), which adds to `NeedsAttention` (shared/needs-attention.ts).
 */
export function recordNotifyMetrics(
  metrics: Pick<Metrics, 'addMetric' | 'singleMetric'>,
  result: NotifyRecipientResult,
  receiveCount: number,
): void {
  const count = (outcome: string) => result.contacts.filter((contact) => contact.outcome === outcome).length;
  addCount('AlertDeliveriesSent', count('sent'), metrics);
  addCount('AlertDeliveryRetries', count('retry'), metrics);
  if (count('retry') > 0 && receiveCount >= ALERT_DELIVERY_LATE_FROM_RECEIVE) addCount('AlertDeliveryLate', 1, metrics);
}
