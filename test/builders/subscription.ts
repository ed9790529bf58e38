import { randomUUID } from 'node:crypto';
import type { Principal } from '#shared/domain/access.ts';
import type { Subscription } from '#shared/domain/subscription.ts';

/** A subscribed, flat-rate, monthly subscription of the sample catalog; override what the test is about. */
export function aSubscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: randomUUID(),
    offerId: 'contoso-analytics',
    planId: 'basic',
    status: 'Subscribed',
    term: { startDate: '2026-01-06', endDate: '2026-02-05', termUnit: 'P1M' },
    isFreeTrial: false,
    beneficiary: { tenantId: 'tenant-customer-a', emailId: 'it@customer-a.example' },
    purchaser: { tenantId: 'tenant-customer-a', emailId: 'buyer@customer-a.example' },
    ...overrides,
  };
}

export const aPublisher = (): Principal => ({ role: 'publisher', keyId: 'key-publisher' });

export const aPartner = (partnerId = 'partner-1'): Principal => ({ role: 'partner', keyId: 'key-partner', partnerId });

export const aCustomer = (scope: { tenantId?: string; subscriptionIds?: string[] } = {}): Principal => ({
  role: 'customer',
  keyId: 'key-customer',
  tenantId: scope.tenantId,
  subscriptionIds: scope.subscriptionIds ?? [],
});
