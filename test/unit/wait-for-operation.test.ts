import { describe, expect, it } from 'vitest';
import { waitForOperation } from '#shared/use-cases/fulfillment/wait-for-operation.ts';
import type { Marketplace, SaasOperation } from '#shared/use-cases/ports/marketplace.ts';
import { OperationWaitTimeoutError } from '#shared/use-cases/ports/marketplace-errors.ts';

function fakeMarketplace(statuses: string[]) {
  const calls: { correlationId?: string }[] = [];
  const marketplace = {
    async getOperation(subscriptionId: string, operationId: string, options?: { correlationId?: string }) {
      calls.push({ correlationId: options?.correlationId });
      const status = statuses[Math.min(calls.length - 1, statuses.length - 1)] ?? 'InProgress';
      return { id: operationId, subscriptionId, action: 'ChangePlan', status } satisfies SaasOperation;
    },
  } as unknown as Marketplace;
  return { marketplace, calls };
}

function fakeTime() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  return {
    clock: { now: () => new Date(now) },
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

describe('waiting for a marketplace operation', () => {
  it.each(['Succeeded', 'Failed', 'Conflict'])('returns the operation once it is %s', async (terminal) => {
    const { marketplace, calls } = fakeMarketplace(['NotStarted', 'InProgress', terminal]);

    const operation = await waitForOperation(
      { marketplace, ...fakeTime() },
      { subscriptionId: 's', operationId: 'o', correlationId: 'c' },
    );

    expect(operation.status).toBe(terminal);
    expect(calls).toEqual([{ correlationId: 'c' }, { correlationId: 'c' }, { correlationId: 'c' }]);
  });

  it('gives up after the bounded wait with the last status seen', async () => {
    const { marketplace, calls } = fakeMarketplace(['InProgress']);

    const error = await waitForOperation(
      { marketplace, ...fakeTime() },
      { subscriptionId: 's', operationId: 'o', intervalMs: 1_000, timeoutMs: 10_000 },
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OperationWaitTimeoutError);
    expect((error as OperationWaitTimeoutError).lastStatus).toBe('InProgress');
    expect(calls).toHaveLength(11);
  });
});
