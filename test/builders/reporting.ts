import type { Catalog } from '#shared/domain/catalog.ts';
import type { Subscription, SubscriptionPeriod } from '#shared/domain/subscription.ts';
import type {
  MeteringAlertPublisher,
  MeteringRejectedAlert,
} from '#shared/use-cases/metering/ports/metering-alert-publisher.ts';
import { aBillingTerm, aCatalog, aDimension, aDimensionPrice, anOffer, aPlan } from './catalog.ts';
import { aSubscription } from './subscription.ts';

export const OFFER = 'contoso-analytics';
export const DIMENSIONS = ['api-calls', 'gb-processed', 'reports'] as const;

/**
 * A catalog for metering tests with small allowances, so a few units reach overage: two monthly plans of one offer,
 * `small` (10 api-calls, 5 gb-processed per term) and `large` (50 and 20); `reports` is unlimited on both.
 */
export function aMeteringCatalog(): Catalog {
  const prices = DIMENSIONS.map((dimensionId) => aDimensionPrice({ dimensionId, pricePerUnit: { USD: '0.10' } }));
  const plan = (id: string, apiCalls: string, gb: string) =>
    aPlan({
      id,
      displayName: id,
      billingTerms: [
        aBillingTerm({ includedQuantities: { 'api-calls': apiCalls, 'gb-processed': gb, reports: 'unlimited' } }),
      ],
      meteredDimensions: prices,
    });
  return aCatalog({
    offers: [
      anOffer({
        id: OFFER,
        dimensions: [
          aDimension({ id: 'api-calls' }),
          aDimension({ id: 'gb-processed', displayName: 'GB processed', unitOfMeasure: 'GB' }),
          aDimension({ id: 'reports', displayName: 'Reports', unitOfMeasure: 'report' }),
        ],
        plans: [plan('small', '10', '5'), plan('large', '50', '20')],
      }),
    ],
  });
}

/** A subscription of `aMeteringCatalog()` on `small`, activated 2026-01-06 10:00 UTC (term Jan 6 – Feb 5). */
export function aMeteredSubscription(overrides: Partial<Subscription> & { timeline?: SubscriptionPeriod[] } = {}) {
  return aSubscription({
    offerId: OFFER,
    planId: 'small',
    term: { startDate: '2026-01-06', endDate: '2026-02-05', termUnit: 'P1M' },
    timeline: [{ from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' }],
    ...overrides,
  });
}

/** Keeps the metering alerts it is given; `failNext` makes the next publish throw. */
export class RecordingMeteringAlerts implements MeteringAlertPublisher {
  readonly published: MeteringRejectedAlert[] = [];
  private failures = 0;

  failNext(times = 1): void {
    this.failures = times;
  }

  async publishMeteringRejected(alert: MeteringRejectedAlert): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('topic unavailable');
    }
    this.published.push(alert);
  }
}
