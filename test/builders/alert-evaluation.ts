/**
 * A small world for alert evaluation tests: a JPY catalog where one call costs ¥1 (so usage quantities read as yen),
 * subscriptions activated at a given instant, and every port in memory.
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '#shared/domain/catalog.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { USAGE_MESSAGE_VERSION, type UsageMessage, type UsageSlot } from '#shared/domain/usage/usage-message.ts';
import type { EvaluateSubscriptionAlertsDeps } from '#shared/use-cases/alerts/evaluate-subscription-alerts.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAlertLog, RecordingPublisher } from '#test/helpers/in-memory-alert-log.ts';
import { InMemoryBudgetStore, InMemoryPartnerStore } from '#test/helpers/in-memory-alert-settings.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';

export const ALERT_OFFER = 'cloud-all';

/**
 * Plans of `cloud-all` (monthly terms billed monthly):
 * - `metered`: no flat fee, nothing included, ¥1 (or $0.01) per call: charges are the calls;
 * - `standard`: ¥10,000 a month, 100 calls included, ¥1 per call above;
 * - `premium`: ¥50,000 a month, same metering;
 * - `seats`: ¥1,000 per user a month, not metered.
 */
export const ALERT_CATALOG: Catalog = {
  storeFeeRate: '0.03',
  offers: [
    {
      id: ALERT_OFFER,
      displayName: 'Cloud All',
      dimensions: [{ id: 'calls', displayName: 'API calls', unitOfMeasure: 'call' }],
      plans: [
        meteredPlan('metered', 'Metered', { JPY: '0', USD: '0' }, '0'),
        meteredPlan('standard', 'Standard', { JPY: '10000', USD: '100.00' }, '100'),
        meteredPlan('premium', 'Premium', { JPY: '50000', USD: '500.00' }, '100'),
        {
          id: 'seats',
          displayName: 'Seats',
          visibility: 'public',
          pricingModel: 'perUser',
          minQuantity: 1,
          maxQuantity: 100,
          freeTrial: false,
          billingTerms: [
            {
              termUnit: 'P1M',
              billingFrequency: 'monthly',
              price: { JPY: '1000', USD: '10.00' },
              includedQuantities: {},
            },
          ],
          meteredDimensions: [],
        },
      ],
    },
  ],
};

function meteredPlan(id: string, displayName: string, price: Record<string, string>, included: string) {
  return {
    id,
    displayName,
    visibility: 'public' as const,
    pricingModel: 'flatRate' as const,
    freeTrial: false,
    billingTerms: [
      {
        termUnit: 'P1M' as const,
        billingFrequency: 'monthly' as const,
        price,
        includedQuantities: { calls: included },
      },
    ],
    meteredDimensions: [{ dimensionId: 'calls', pricePerUnit: { JPY: '1', USD: '0.01' } }],
  };
}

/** A subscription to `cloud-all` activated at `activatedAt` on `planId`, beneficiary tenant `customerId`. */
export function anActiveSubscription(input: {
  readonly id?: string;
  readonly customerId?: string;
  readonly planId?: string;
  readonly quantity?: number;
  readonly activatedAt: string;
  readonly purchaserTenantId?: string;
  readonly partnerId?: string;
}): Subscription {
  const planId = input.planId ?? 'metered';
  const customerId = input.customerId ?? 'customer-a';
  return {
    id: input.id ?? `sub-${randomUUID()}`,
    offerId: ALERT_OFFER,
    planId,
    ...(input.quantity === undefined ? {} : { quantity: input.quantity }),
    status: 'Subscribed',
    term: { startDate: input.activatedAt.slice(0, 10), endDate: '2099-12-31', termUnit: 'P1M' },
    isFreeTrial: false,
    beneficiary: { tenantId: customerId },
    purchaser: { tenantId: input.purchaserTenantId ?? customerId },
    ...(input.partnerId === undefined ? {} : { partnerId: input.partnerId }),
    timeline: [
      {
        from: input.activatedAt,
        status: 'Subscribed',
        planId,
        ...(input.quantity === undefined ? {} : { quantity: input.quantity }),
      },
    ],
  };
}

/** A usage message of `calls` in the UTC hour starting at `hour` (ISO). */
export function callsAt(subscriptionId: string, hour: string, calls: string, offerId = ALERT_OFFER): UsageMessage {
  const slot: UsageSlot = {
    subscriptionId,
    offerId,
    dimension: 'calls',
    hour: new Date(hour).toISOString(),
    quantity: calls,
    eventCount: 1,
  };
  const marker = (randomUUID() + randomUUID()).replaceAll('-', '');
  return { version: USAGE_MESSAGE_VERSION, marker, slots: [slot] };
}

/** Every port of an evaluation in memory, with a clock at `now`. */
export function anEvaluationWorld(now: string) {
  const world = {
    clock: new FixedClock(now),
    subscriptions: new InMemorySubscriptionStore(),
    budgets: new InMemoryBudgetStore(),
    partners: new InMemoryPartnerStore(),
    ledger: new InMemoryUsageLedger(),
    alertLog: new InMemoryAlertLog(),
    publisher: new RecordingPublisher(),
    catalog: ALERT_CATALOG,
  };
  return world satisfies EvaluateSubscriptionAlertsDeps;
}

/**
 * A subscription of ALERT_OFFER activated at `activatedAt` (epoch ms) on the `small` plan and, when `changeAtHour` is
 * given, moved to `large` that many hours later, 17 minutes past the hour: the plan changes inside a day, so that
 * day's hours are rated in two stretches.
 */
export function aPlanChangingSubscription(
  id: string,
  activatedAt: number,
  changeAtHour: number | undefined,
): Subscription {
  const activated = new Date(activatedAt).toISOString();
  return {
    id,
    offerId: ALERT_OFFER,
    planId: changeAtHour === undefined ? 'small' : 'large',
    status: 'Subscribed',
    term: { startDate: activated.slice(0, 10), endDate: '2099-12-31', termUnit: 'P1M' },
    isFreeTrial: false,
    beneficiary: { tenantId: 'tenant-a' },
    purchaser: { tenantId: 'tenant-a' },
    timeline: [
      { from: activated, status: 'Subscribed', planId: 'small' },
      ...(changeAtHour === undefined
        ? []
        : [
            {
              from: new Date(activatedAt + changeAtHour * 3_600_000 + 17 * 60_000).toISOString(),
              status: 'Subscribed' as const,
              planId: 'large',
            },
          ]),
    ],
  };
}
