/**
 * Test subscriptions: the smoke check's own (`npm run smoke`, infra/tools/smoke-checks.ts), written straight into the
 * table by the operator running it and deleted when it ends. Their ids carry a reserved prefix that no marketplace
 * subscription can have (Microsoft's ids are GUIDs), so "is this a test subscription" is a property of the id alone:
 * nothing stored, and no flag on a record, can make a real subscription one.
 *
 * What the prefix decides (docs/security.md "Test webhooks"):
 * - a test webhook (signed with the smoke run's own key, accepted only when the stack is deployed with
 *   `smokeTestWebhooks`) may touch a test subscription and nothing else;
 * - no call about a test subscription goes to Microsoft (no Get Operation, no PATCH, no usage report);
 * - usage for a test subscription is refused at ingest, so nothing of it reaches the aggregator or the reporter.
 */
export const TEST_SUBSCRIPTION_PREFIX = 'smoke-test-';

export function isTestSubscriptionId(subscriptionId: string): boolean {
  return subscriptionId.startsWith(TEST_SUBSCRIPTION_PREFIX) && subscriptionId.length > TEST_SUBSCRIPTION_PREFIX.length;
}

/**
 * The actions a test webhook may carry, always with status Succeeded: the ones that are applied as they come, with
 * nothing owed to Microsoft afterwards. A change still InProgress (answered with PATCH), a Renew (read from Get
 * Subscription) and a Subscribe (stored from Get Subscription) would need Microsoft.
 */
export const TEST_WEBHOOK_ACTIONS: readonly string[] = ['ChangeQuantity', 'Suspend', 'Reinstate', 'Unsubscribe'];
