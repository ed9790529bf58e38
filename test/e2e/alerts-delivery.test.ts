import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAlertLog } from '#shared/adapters/dynamodb/dynamo-alert-log.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { alertFromSqsBody, SnsAlertPublisher } from '#shared/adapters/sns/sns-alert-publisher.ts';
import { recipientAddress } from '#shared/domain/alerts/alert.ts';
import type { UsageMessage } from '#shared/domain/usage/usage-message.ts';
import { evaluateAllSubscriptionAlerts } from '#shared/use-cases/alerts/evaluate-all-subscription-alerts.ts';
import { evaluateSubscriptionAlerts } from '#shared/use-cases/alerts/evaluate-subscription-alerts.ts';
import { ALERT_CATALOG, anActiveSubscription, callsAt } from '#test/builders/alert-evaluation.ts';
import { aBudget, aCreditLink, aPartnerRecord, someCreditLevels } from '#test/builders/alerts.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { localClients } from '#test/helpers/local-aws.ts';

/**
 * Acceptance (issue 6): delivery through fauxqs with filter policies proves isolation. Two customers and their
 * reseller partner each have a queue subscribed to the alerts topic with their own filter policy; usage goes through
 * the real aggregator path (SQS records → exactly-once ledger → evaluation after the commit), with redelivered
 * records, and the alerts are evaluated again and again (the hourly check, by hand): each queue receives exactly its
 * own alerts, once each (DESIGN invariant 7).
 */
describe('alert delivery through the aggregator, DynamoDB Local and fauxqs', () => {
  const { documentClient, sqs, sns } = localClients();
  // 6/20 12:00 in Tokyo.
  const clock = new FixedClock('2025-06-20T03:00:00.000Z');
  const run = randomUUID().slice(0, 8);
  const customerA = `tenant-a-${run}`;
  const customerB = `tenant-b-${run}`;
  const partnerX = `partner-x-${run}`;
  let deps: ReturnType<typeof buildDeps>;
  let aggregate: ReturnType<typeof import('#functions/usage-aggregator/handler.ts')['createUsageAggregator']>;
  const warnings: unknown[] = [];

  async function aQueue(): Promise<{ url: string; arn: string }> {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: `alerts-e2e-${randomUUID()}` }));
    const url = created.QueueUrl ?? '';
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return { url, arn: attributes.Attributes?.QueueArn ?? '' };
  }

  /** Every alert in the queue as `<rule>:<threshold>:<period>:<subscription>`, until two receives come back empty. */
  async function drain(url: string): Promise<{ labels: string[]; recipients: Set<string> }> {
    const labels: string[] = [];
    const recipients = new Set<string>();
    for (let empty = 0; empty < 2; ) {
      const page = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = page.Messages ?? [];
      if (messages.length === 0) {
        empty++;
        continue;
      }
      for (const message of messages) {
        const alert = alertFromSqsBody(message.Body ?? '');
        labels.push(`${alert.rule}:${alert.threshold ?? '-'}:${alert.periodKey}:${alert.subscriptionId}`);
        recipients.add(recipientAddress(alert.recipient));
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    return { labels, recipients };
  }

  function buildDeps(tableName: string, topicArn: string) {
    const subscriptions = new DynamoSubscriptionStore(documentClient, tableName);
    return {
      clock,
      catalog: ALERT_CATALOG,
      subscriptions,
      subscriptionList: subscriptions,
      budgets: new DynamoBudgetStore(documentClient, tableName),
      partners: new DynamoPartnerStore(documentClient, tableName),
      ledger: new DynamoUsageLedger(documentClient, tableName, clock),
      alertLog: new DynamoAlertLog(documentClient, tableName),
      publisher: new SnsAlertPublisher(sns, topicArn),
      logger: { warn: (...args: unknown[]) => warnings.push(args) },
    };
  }

  const sample = () => sampleEvent<SQSEvent>('sqs/usage-message.json').Records[0] as SQSRecord;
  const records = (...messages: UsageMessage[]): SQSEvent => ({
    Records: messages.map((message) => ({ ...sample(), messageId: randomUUID(), body: JSON.stringify(message) })),
  });

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    const tableName = resources[MAIN_TABLE.envVar] ?? '';
    deps = buildDeps(tableName, resources[ALERTS_TOPIC.envVar] ?? '');
    const { createUsageAggregator } = await import('#functions/usage-aggregator/handler.ts');
    aggregate = createUsageAggregator(deps);
  });

  it('delivers each alert once, to its own customer’s or partner’s queue only', async () => {
    // prepare: queues subscribed with each recipient's filter policy
    const [queueA, queueB, queueX] = await Promise.all([aQueue(), aQueue(), aQueue()]);
    await deps.publisher.subscribeQueue({ kind: 'customer', id: customerA }, queueA.arn);
    await deps.publisher.subscribeQueue({ kind: 'customer', id: customerB }, queueB.arn);
    await deps.publisher.subscribeQueue({ kind: 'partner', id: partnerX }, queueX.arn);
    // two metered subscriptions (¥1 per call) activated on 6/1 JST, both customers of partner X
    const subA = anActiveSubscription({
      activatedAt: '2025-05-31T15:00:00.000Z',
      customerId: customerA,
      partnerId: partnerX,
    });
    const subB = anActiveSubscription({
      activatedAt: '2025-05-31T15:00:00.000Z',
      customerId: customerB,
      partnerId: partnerX,
    });
    await deps.subscriptions.put(subA);
    await deps.subscriptions.put(subB);
    await deps.budgets.putBudget(aBudget({ subscriptionId: subA.id, customerId: customerA, locale: 'ja' }));
    await deps.budgets.putBudget(
      aBudget({
        subscriptionId: subB.id,
        customerId: customerB,
        locale: 'en',
        plannedMonthlyAmount: { amount: '200000', currency: 'JPY' },
      }),
    );
    await deps.partners.putPartner(aPartnerRecord({ id: partnerX, tenantId: `tenant-${partnerX}` }));
    const levels = someCreditLevels({
      warning: { amount: '100000', currency: 'JPY' },
      approvalRequired: { amount: '150000', currency: 'JPY' },
      purchaseBlocked: { amount: '200000', currency: 'JPY' },
    });
    await deps.partners.putCreditLink(
      aCreditLink({ partnerId: partnerX, customerId: customerA, subscriptionId: subA.id, levels }),
    );
    await deps.partners.putCreditLink(
      aCreditLink({ partnerId: partnerX, customerId: customerB, subscriptionId: subB.id, levels }),
    );
    const aEarly = callsAt(subA.id, '2025-06-05T01:00:00Z', '60000');
    const aToday = callsAt(subA.id, '2025-06-20T01:00:00Z', '45000');
    const bEarly = callsAt(subB.id, '2025-06-10T01:00:00Z', '30000');
    const bToday = callsAt(subB.id, '2025-06-20T02:00:00Z', '80000');

    // act: usage through the aggregator, with redeliveries (same message again, in the batch and later)
    const first = await aggregate(records(aEarly, bEarly, aEarly));
    // Near real time: the aggregator itself evaluated what it committed (A's ¥60,000 is 60% of its plan).
    const afterFirstCommit = await deps.alertLog.listBySubscription(subA.id);
    expect(afterFirstCommit.entries.map((e) => [e.candidate.rule, e.candidate.threshold, e.state])).toEqual([
      ['budgetThreshold', '0.5', 'sent'],
    ]);
    const second = await aggregate(records(aToday, bToday, bEarly));
    const redelivered = await aggregate(records(aToday, bToday, aEarly, bEarly));
    await evaluateAllSubscriptionAlerts(deps);
    await evaluateAllSubscriptionAlerts(deps);
    await Promise.all([evaluateSubscriptionAlerts(deps, subA.id), evaluateSubscriptionAlerts(deps, subA.id)]);

    // assess
    for (const response of [first, second, redelivered]) expect(response).toEqual({ batchItemFailures: [] });
    expect(warnings).toEqual([]);
    const [a, b, x] = await Promise.all([drain(queueA.url), drain(queueB.url), drain(queueX.url)]);
    // Customer A: ¥105,000 of a ¥100,000 plan; today ¥45,000 after two zero days.
    expect(a.labels.sort()).toEqual(
      [
        `budgetThreshold:0.5:2025-06:${subA.id}`,
        `budgetThreshold:0.8:2025-06:${subA.id}`,
        `budgetThreshold:1:2025-06:${subA.id}`,
        `spike:-:2025-06-20:${subA.id}`,
      ].sort(),
    );
    // Customer B: ¥110,000 of a ¥200,000 plan; today ¥80,000 after two zero days.
    expect(b.labels.sort()).toEqual([`budgetThreshold:0.5:2025-06:${subB.id}`, `spike:-:2025-06-20:${subB.id}`].sort());
    // Partner X: A above its provisional credit (its planned ¥100,000) and the warning level; B above the warning
    // level, and B's planned ¥200,000 above the approval-required level.
    expect(x.labels.sort()).toEqual(
      [
        `provisionalCreditExceeded:-:2025-06:${subA.id}`,
        `chargesOverCreditLevel:warning:2025-06:${subA.id}`,
        `chargesOverCreditLevel:warning:2025-06:${subB.id}`,
        `plannedOverCreditLevel:approvalRequired:2025-06:${subB.id}`,
      ].sort(),
    );
    expect([...a.recipients]).toEqual([`customer:${customerA}`]);
    expect([...b.recipients]).toEqual([`customer:${customerB}`]);
    expect([...x.recipients]).toEqual([`partner:${partnerX}`]);
    // The ledger counted each message once despite the redeliveries.
    const slotsOfB = await deps.ledger.readSlots(
      subB.id,
      'calls',
      new Date('2025-06-01T00:00:00Z'),
      new Date('2025-06-30T00:00:00Z'),
    );
    expect(slotsOfB.map((slot) => slot.quantity)).toEqual(['30000', '80000']);
  });
});
