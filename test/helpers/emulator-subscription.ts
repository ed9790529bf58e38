import type { MarketplaceEmulator } from '#infra/local/emulator/index.ts';
import type { Subscription, SubscriptionPeriod, SubscriptionStatus } from '#shared/domain/subscription.ts';

/**
 * What the fulfillment side keeps in the store for a subscription of the emulator: its status and plan history as a
 * timeline, its term and offer. For tests and benchmarks of metering, which need subscriptions as the store holds
 * them without running the fulfillment flow for each.
 * @throws Error when the emulator has no such subscription.
 */
export function subscriptionFromEmulator(
  control: MarketplaceEmulator['control'],
  id: string,
  tenantId: string,
): Subscription {
  const view = control.subscription(id);
  if (!view) throw new Error(`no subscription ${id} in the emulator`);
  const instants = [...new Set([...view.statusHistory, ...view.planHistory].map((entry) => entry.at))].sort();
  const latest = <T extends { at: string }>(entries: T[], at: string) =>
    entries.filter((entry) => entry.at <= at).at(-1) as T;
  const timeline: SubscriptionPeriod[] = instants.map((at) => ({
    from: at,
    status: latest(view.statusHistory, at).status as SubscriptionStatus,
    planId: latest(view.planHistory, at).planId,
  }));
  const term = view.term as { startDate: string; endDate: string; termUnit: 'P1M' };
  const last = timeline.at(-1) as SubscriptionPeriod;
  return {
    id,
    offerId: String(view.offerId),
    planId: last.planId,
    status: last.status,
    term: { startDate: term.startDate.slice(0, 10), endDate: term.endDate.slice(0, 10), termUnit: term.termUnit },
    isFreeTrial: false,
    beneficiary: { tenantId },
    purchaser: { tenantId },
    timeline,
  };
}
