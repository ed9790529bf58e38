import { describe, expect, it } from 'vitest';
import { linkNewPurchaseToReseller } from '#shared/use-cases/partners/link-new-purchase-to-reseller.ts';
import { anActiveSubscription, anEvaluationWorld } from '#test/builders/alert-evaluation.ts';
import { aPartnerRecord } from '#test/builders/alerts.ts';

/** A logger that keeps what it was told, by level. */
function aRecordingLogger() {
  const lines: { level: 'info' | 'warn'; message: string; attributes: Record<string, unknown> }[] = [];
  return {
    lines,
    info: (message: string, attributes: Record<string, unknown> = {}) =>
      void lines.push({ level: 'info', message, attributes }),
    warn: (message: string, attributes: Record<string, unknown> = {}) =>
      void lines.push({ level: 'warn', message, attributes }),
  };
}

async function aWorldWithResellerPurchase() {
  const world = anEvaluationWorld('2025-06-20T03:00:00Z');
  await world.partners.putPartner(aPartnerRecord({ id: 'partner-x', tenantId: 'tenant-partner-x' }));
  const bought = anActiveSubscription({
    activatedAt: '2025-06-01T00:00:00Z',
    customerId: 'tenant-a',
    purchaserTenantId: 'tenant-partner-x',
  });
  await world.subscriptions.put(bought);
  return { world, bought };
}

describe('linkNewPurchaseToReseller (after the landing page stores a new purchase)', () => {
  it('links a reseller’s purchase to the reseller and logs the new link', async () => {
    const { world, bought } = await aWorldWithResellerPurchase();
    const logger = aRecordingLogger();

    const outcome = await linkNewPurchaseToReseller({ ...world, logger }, { subscriptionId: bought.id });

    expect(outcome).toBe('linked');
    expect((await world.subscriptions.get(bought.id))?.partnerId).toBe('partner-x');
    expect(logger.lines).toEqual([
      {
        level: 'info',
        message: 'Reseller purchase linked to its partner',
        attributes: { subscriptionId: bought.id, partnerId: 'partner-x' },
      },
    ]);
  });

  it('logs nothing for a direct purchase', async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    const direct = anActiveSubscription({ activatedAt: '2025-06-01T00:00:00Z', customerId: 'tenant-a' });
    await world.subscriptions.put(direct);
    const logger = aRecordingLogger();

    expect(await linkNewPurchaseToReseller({ ...world, logger }, { subscriptionId: direct.id })).toBe(
      'notAResellerPurchase',
    );
    expect(logger.lines).toEqual([]);
  });

  it('never throws: a store failure is logged with the subscription and how to link it by hand', async () => {
    const { world, bought } = await aWorldWithResellerPurchase();
    const logger = aRecordingLogger();
    const partners = {
      findPartnerByTenant: async () => {
        throw new Error('DynamoDB is throttling');
      },
    };

    const outcome = await linkNewPurchaseToReseller({ ...world, partners, logger }, { subscriptionId: bought.id });

    expect(outcome).toBe('failed');
    expect((await world.subscriptions.get(bought.id))?.partnerId).toBeUndefined();
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: expect.stringContaining('PUT /v1/partners/'),
        attributes: { subscriptionId: bought.id, error: 'DynamoDB is throttling' },
      },
    ]);
  });
});
