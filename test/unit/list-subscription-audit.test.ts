import { describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';
import { listSubscriptionAudit } from '#shared/use-cases/fulfillment/list-subscription-audit.ts';
import { aCustomer, aPartner, aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { InMemoryAuditLog } from '#test/helpers/in-memory-audit-log.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';

function setup() {
  const audit = new InMemoryAuditLog();
  const subscriptions = new InMemorySubscriptionStore();
  return { deps: { audit, subscriptions }, audit, subscriptions };
}

describe('listSubscriptionAudit', () => {
  it('gives the publisher the trail newest first, with Microsoft’s request and correlation ids', async () => {
    const { deps, audit } = setup();
    await audit.record({
      subscriptionId: 'sub-1',
      at: new Date('2026-01-20T10:00:00Z'),
      kind: 'marketplaceCall',
      what: 'changeQuantity to 10',
      result: '202',
      requestId: 'ms-request-1',
      correlationId: 'corr-1',
    });
    await audit.record({
      subscriptionId: 'sub-1',
      at: new Date('2026-01-20T10:00:04Z'),
      kind: 'webhook',
      what: 'ChangeQuantity Succeeded operation op-1',
      result: 'applied: QuantityChanged',
    });

    const page = await listSubscriptionAudit(deps, aPublisher(), { subscriptionId: 'sub-1' });

    expect(page).toEqual({
      subscriptionId: 'sub-1',
      entries: [
        {
          at: '2026-01-20T10:00:04.000Z',
          kind: 'webhook',
          what: 'ChangeQuantity Succeeded operation op-1',
          result: 'applied: QuantityChanged',
        },
        {
          at: '2026-01-20T10:00:00.000Z',
          kind: 'marketplaceCall',
          what: 'changeQuantity to 10',
          result: '202',
          requestId: 'ms-request-1',
          correlationId: 'corr-1',
        },
      ],
    });
  });

  it('answers an empty trail for a stored subscription, and NotFound when nothing at all is known of the id', async () => {
    const { deps, subscriptions } = setup();
    const subscription = aSubscription();
    await subscriptions.put(subscription);

    await expect(listSubscriptionAudit(deps, aPublisher(), { subscriptionId: subscription.id })).resolves.toEqual({
      subscriptionId: subscription.id,
      entries: [],
    });
    await expect(listSubscriptionAudit(deps, aPublisher(), { subscriptionId: 'unknown' })).rejects.toThrow(
      NotFoundError,
    );
  });

  it('refuses partner and customer keys, even the subscription’s own', async () => {
    const { deps, subscriptions } = setup();
    const subscription = aSubscription({ partnerId: 'partner-1' });
    await subscriptions.put(subscription);

    for (const caller of [aPartner('partner-1'), aCustomer({ subscriptionIds: [subscription.id] })]) {
      await expect(listSubscriptionAudit(deps, caller, { subscriptionId: subscription.id })).rejects.toThrow(
        ForbiddenError,
      );
    }
  });
});
