import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAlertLog } from '#shared/adapters/dynamodb/dynamo-alert-log.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { aBudget } from '#test/builders/alerts.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/alert-checks/handler.ts')['handler'];

describe('the hourly alert checks function against DynamoDB Local and fauxqs', () => {
  let handler: Handler;
  let alertLog: DynamoAlertLog;
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  // Activated at the start of this month on Basic ($100 a month due then): $100 of a $150 budget is 66%.
  const subscription = aSubscription({
    beneficiary: { tenantId: 'tenant-checks' },
    term: { startDate: monthStart.toISOString().slice(0, 10), endDate: '2099-12-31', termUnit: 'P1M' },
    timeline: [{ from: monthStart.toISOString(), status: 'Subscribed', planId: 'basic' }],
  });
  const scheduledEvent = { source: 'aws.scheduler', 'detail-type': 'Scheduled Event', time: now.toISOString() };

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    handler = asDeclaredFunction('AlertChecks', (await import('#functions/alert-checks/handler.ts')).handler);
    const { documentClient } = localClients();
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    alertLog = new DynamoAlertLog(documentClient, tableName);
    await new DynamoSubscriptionStore(documentClient, tableName).put(subscription);
    await new DynamoBudgetStore(documentClient, tableName).putBudget(
      aBudget({
        subscriptionId: subscription.id,
        customerId: 'tenant-checks',
        plannedMonthlyAmount: { amount: '150.00', currency: 'USD' },
        spikeMinimumAmount: { amount: '1.00', currency: 'USD' },
        timeZone: 'UTC',
      }),
    );
  });

  it('evaluates every active subscription with settings, and sends nothing twice when run again', async () => {
    const first = await handler(scheduledEvent, aLambdaContext('AlertChecks'));
    const second = await handler(scheduledEvent, aLambdaContext('AlertChecks'));

    expect(first).toMatchObject({ evaluated: 1, sent: 1, failed: 0, stoppedEarly: false });
    expect(second).toMatchObject({ evaluated: 1, sent: 0, failed: 0 });
    const history = await alertLog.listBySubscription(subscription.id);
    expect(history.entries.map((e) => [e.candidate.rule, e.candidate.threshold, e.state])).toEqual([
      ['budgetThreshold', '0.5', 'sent'],
    ]);
  });
});
