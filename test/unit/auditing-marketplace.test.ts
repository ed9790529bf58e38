import { describe, expect, it } from 'vitest';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import type { MarketplaceCallOptions } from '#shared/use-cases/ports/marketplace.ts';
import { MarketplaceBadRequestError } from '#shared/use-cases/ports/marketplace-errors.ts';
import { FakeMarketplace } from '#test/helpers/fake-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAuditLog } from '#test/helpers/in-memory-audit-log.ts';

function setup() {
  const inner = new FakeMarketplace();
  // Like HttpMarketplace: report the x-ms ids of the call through onOutcome.
  const getOperation = inner.getOperation.bind(inner);
  inner.getOperation = async (subscriptionId, operationId, options?: MarketplaceCallOptions) => {
    try {
      const result = await getOperation(subscriptionId, operationId, options);
      options?.onOutcome?.({
        operation: 'getOperation',
        status: 200,
        requestId: 'req-ok',
        correlationId: options.correlationId,
      });
      return result;
    } catch (error) {
      options?.onOutcome?.({
        operation: 'getOperation',
        status: 404,
        requestId: 'req-404',
        correlationId: options?.correlationId,
      });
      throw error;
    }
  };
  const audit = new InMemoryAuditLog();
  const warnings: unknown[] = [];
  const marketplace = new AuditingMarketplace(inner, audit, new FixedClock(), {
    warn: (...args) => warnings.push(args),
  });
  return { inner, audit, marketplace, warnings };
}

describe('the auditing marketplace decorator', () => {
  it('records a call with its result and the request and correlation ids Microsoft saw', async () => {
    const { inner, audit, marketplace } = setup();
    const remote = inner.addSubscription();
    const operation = inner.addOperation({ subscriptionId: remote.id, action: 'Suspend' });

    await marketplace.getOperation(remote.id, operation.id, { correlationId: 'corr-1' });

    expect(audit.entries).toEqual([
      expect.objectContaining({
        subscriptionId: remote.id,
        kind: 'marketplaceCall',
        what: `getOperation ${operation.id}`,
        result: '200',
        requestId: 'req-ok',
        correlationId: 'corr-1',
      }),
    ]);
  });

  it('records a failed call with the error and still throws it', async () => {
    const { inner, audit, marketplace } = setup();
    const remote = inner.addSubscription();

    await expect(marketplace.getOperation(remote.id, 'nope')).rejects.toThrow();

    expect(audit.entries).toEqual([
      expect.objectContaining({ result: 'MarketplaceNotFoundError 404', requestId: 'req-404' }),
    ]);
    expect(audit.entries[0]?.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('records Resolve under the subscription it resolves to, and nothing for a refused token', async () => {
    const { inner, audit, marketplace } = setup();
    const remote = inner.addSubscription();
    const token = inner.issueToken(remote.id);

    await marketplace.resolve(token);
    await expect(marketplace.resolve('bad')).rejects.toThrow(MarketplaceBadRequestError);

    expect(audit.entries.map((entry) => [entry.subscriptionId, entry.what])).toEqual([[remote.id, 'resolve']]);
  });

  it('does not fail a call when the audit trail cannot be written', async () => {
    const { inner, audit, marketplace, warnings } = setup();
    const remote = inner.addSubscription();
    audit.record = async () => {
      throw new Error('table unavailable');
    };

    await expect(marketplace.getSubscription(remote.id)).resolves.toMatchObject({ id: remote.id });
    expect(warnings).toHaveLength(1);
  });
});
