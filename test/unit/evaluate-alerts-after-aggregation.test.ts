import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ALERT_EVALUATION_BUDGET_MS,
  evaluateAlertsAfterAggregation,
  evaluateSubscriptionsBestEffort,
} from '#shared/use-cases/alerts/evaluate-alerts-after-aggregation.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { anActiveSubscription, anEvaluationWorld, callsAt } from '#test/builders/alert-evaluation.ts';
import { aBudget } from '#test/builders/alerts.ts';

const NOW = '2025-06-20T03:00:00Z';

/** A settings reader that records the ids of each read and finds no settings (nothing to evaluate further). */
function aRecordingSettingsReader() {
  const reads: string[][] = [];
  return {
    reads,
    readMany: async (ids: readonly string[]) => {
      reads.push([...ids]);
      return new Map(ids.map((id) => [id, {}]));
    },
  };
}

describe('evaluateAlertsAfterAggregation (the usage aggregator, after a batch)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('evaluates each subscription the batch committed once, however often it is named', async () => {
    const world = anEvaluationWorld(NOW);
    const alertSettings = aRecordingSettingsReader();

    const summary = await evaluateAlertsAfterAggregation(
      { ...world, alertSettings, logger: { warn: () => undefined } },
      { subscriptionIds: ['sub-a', 'sub-b', 'sub-a', 'sub-b', 'sub-c', 'sub-a'] },
    );

    expect(alertSettings.reads).toEqual([['sub-a', 'sub-b', 'sub-c']]);
    expect(summary).toEqual({ evaluated: 3, sent: 0, failed: 0, deferred: 0 });
  });

  it('reads and evaluates nothing when the batch applied nothing new (only duplicates or failures)', async () => {
    const world = anEvaluationWorld(NOW);
    const alertSettings = aRecordingSettingsReader();

    const summary = await evaluateAlertsAfterAggregation(
      { ...world, alertSettings, logger: { warn: () => undefined } },
      { subscriptionIds: [] },
    );

    expect(alertSettings.reads).toEqual([]);
    expect(world.budgets.reads + world.partners.reads).toBe(0);
    expect(summary).toEqual({ evaluated: 0, sent: 0, failed: 0, deferred: 0 });
  });

  it('delivers the alerts of the committed usage', async () => {
    const world = anEvaluationWorld(NOW);
    const subscription = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'customer-a' });
    await world.subscriptions.put(subscription);
    await world.budgets.putBudget(aBudget({ subscriptionId: subscription.id, customerId: 'customer-a' }));
    const message = callsAt(subscription.id, '2025-06-05T01:00:00Z', '55000');
    await applyUsageMessage({ ledger: world.ledger }, message);

    const summary = await evaluateAlertsAfterAggregation(
      { ...world, logger: { warn: () => undefined } },
      { subscriptionIds: [subscription.id] },
    );

    expect(summary).toEqual({ evaluated: 1, sent: 1, failed: 0, deferred: 0 });
    expect(world.publisher.published).toHaveLength(1);
  });

  it(`gives up after ${ALERT_EVALUATION_BUDGET_MS} ms when the caller has time to spare`, async () => {
    vi.useFakeTimers();
    const world = anEvaluationWorld(NOW);
    const budgets = { getBudget: () => new Promise<never>(() => undefined) };
    let settled = false;

    const evaluation = evaluateAlertsAfterAggregation(
      { ...world, budgets, logger: { warn: () => undefined } },
      { subscriptionIds: ['slow'], stopAt: new Date(Date.parse(NOW) + 60_000) },
    ).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(ALERT_EVALUATION_BUDGET_MS - 1);
    const settledBeforeTheBudget = settled;
    await vi.advanceTimersByTimeAsync(1);

    expect(settledBeforeTheBudget).toBe(false);
    expect(await evaluation).toEqual({ evaluated: 0, sent: 0, failed: 0, deferred: 1 });
  });

  it('stops at the caller’s deadline when that comes before the budget', async () => {
    vi.useFakeTimers();
    const world = anEvaluationWorld(NOW);
    const budgets = { getBudget: () => new Promise<never>(() => undefined) };
    let settled = false;

    const evaluation = evaluateAlertsAfterAggregation(
      { ...world, budgets, logger: { warn: () => undefined } },
      { subscriptionIds: ['slow-1', 'slow-2'], stopAt: new Date(Date.parse(NOW) + 3_000) },
    ).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(3_000);

    expect(settled).toBe(true);
    expect(await evaluation).toMatchObject({ deferred: 2 });
  });

  it('evaluates nothing to completion when the caller’s deadline has passed already', async () => {
    const world = anEvaluationWorld(NOW);
    const budgets = { getBudget: () => new Promise<never>(() => undefined) };

    const summary = await evaluateAlertsAfterAggregation(
      { ...world, budgets, logger: { warn: () => undefined } },
      { subscriptionIds: ['late'], stopAt: new Date(Date.parse(NOW) - 1_000) },
    );

    expect(summary.deferred).toBe(1);
  });
});

describe('evaluateSubscriptionsBestEffort (after an aggregation commit)', () => {
  it('never throws: a failing subscription is logged and the others are evaluated', async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    const good = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'customer-a' });
    await world.subscriptions.put(good);
    await world.budgets.putBudget(aBudget({ subscriptionId: good.id, customerId: 'customer-a' }));
    await applyUsageMessage({ ledger: world.ledger }, callsAt(good.id, '2025-06-05T01:00:00Z', '55000'));
    const warnings: unknown[] = [];
    const budgets = {
      getBudget: async (id: string) => {
        if (id === 'broken') throw new Error('DynamoDB is throttling');
        return world.budgets.getBudget(id);
      },
    };

    const summary = await evaluateSubscriptionsBestEffort(
      { ...world, budgets, logger: { warn: (...args) => warnings.push(args) } },
      ['broken', good.id],
      5_000,
    );

    expect(summary).toEqual({ evaluated: 1, sent: 1, failed: 1, deferred: 0 });
    expect(warnings).toHaveLength(1);
  });

  it('gives up waiting when the time budget runs out, and says how many were left', async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    const budgets = { getBudget: () => new Promise<never>(() => undefined) };

    const summary = await evaluateSubscriptionsBestEffort(
      { ...world, budgets, logger: { warn: () => undefined } },
      ['slow-1', 'slow-2'],
      20,
    );

    expect(summary.deferred).toBe(2);
  });
});

describe('evaluateSubscriptionsBestEffort with an alert settings reader (the deployed aggregator)', () => {
  it('reads every subscription’s settings in one call and evaluates only those with settings', async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    const good = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'customer-a' });
    await world.subscriptions.put(good);
    await applyUsageMessage({ ledger: world.ledger }, callsAt(good.id, '2025-06-05T01:00:00Z', '55000'));
    const budget = aBudget({ subscriptionId: good.id, customerId: 'customer-a' });
    const batches: string[][] = [];
    const alertSettings = {
      readMany: async (ids: readonly string[]) => {
        batches.push([...ids]);
        return new Map(ids.map((id) => [id, id === good.id ? { budget } : {}]));
      },
    };
    const refuse = async () => {
      throw new Error('settings must come from the reader');
    };

    const summary = await evaluateSubscriptionsBestEffort(
      {
        ...world,
        budgets: { getBudget: refuse },
        partners: { getCreditLink: refuse, getPartner: refuse },
        alertSettings,
        logger: { warn: () => undefined },
      },
      ['no-settings-1', good.id, 'no-settings-2'],
      5_000,
    );

    expect(batches).toEqual([['no-settings-1', good.id, 'no-settings-2']]);
    expect(summary).toEqual({ evaluated: 3, sent: 1, failed: 0, deferred: 0 });
    expect(world.publisher.published).toHaveLength(1);
  });

  it('counts every subscription as failed, and logs it, when the settings cannot be read', async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    const warnings: unknown[] = [];
    const alertSettings = {
      readMany: async () => {
        throw new Error('DynamoDB is throttling');
      },
    };

    const summary = await evaluateSubscriptionsBestEffort(
      { ...world, alertSettings, logger: { warn: (...args) => warnings.push(args) } },
      ['a', 'b'],
      5_000,
    );

    expect(summary).toEqual({ evaluated: 0, sent: 0, failed: 2, deferred: 0 });
    expect(warnings).toHaveLength(1);
  });
});
