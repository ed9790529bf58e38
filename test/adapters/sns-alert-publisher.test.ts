import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_TOPIC, MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAlertLog } from '#shared/adapters/dynamodb/dynamo-alert-log.ts';
import { alertFromSqsBody, SnsAlertPublisher } from '#shared/adapters/sns/sns-alert-publisher.ts';
import { type AlertCandidate, type AlertRecipient, alertKey } from '#shared/domain/alerts/alert.ts';
import { type AlertMessage, alertAttributes } from '#shared/domain/alerts/alert-message.ts';
import { Money } from '#shared/domain/money.ts';
import { type DeliverAlertInput, deliverAlerts } from '#shared/use-cases/alerts/deliver-alert.ts';
import { oneCandidatePerRule } from '#test/builders/alerts.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const templates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '12000' : '150000', 'JPY'));

function about(
  template: AlertCandidate,
  recipient: AlertRecipient,
  customerId: string,
  subscriptionId: string,
): AlertCandidate {
  return { ...template, recipient, customerId, subscriptionId } as AlertCandidate;
}

interface Received {
  readonly keys: string[];
  readonly alerts: AlertMessage[];
  readonly attributes: Record<string, string>[];
  readonly subjects: (string | null)[];
}

describe('SNS alert publisher on fauxqs, with filter policies per recipient', () => {
  const { documentClient, sns, sqs } = localClients();
  let publisher: SnsAlertPublisher;
  let alertLog: DynamoAlertLog;
  let topicArn: string;

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    topicArn = env[ALERTS_TOPIC.envVar] ?? '';
    publisher = new SnsAlertPublisher(sns, topicArn);
    alertLog = new DynamoAlertLog(documentClient, env[MAIN_TABLE.envVar] ?? '');
  });

  async function aQueue(): Promise<{ url: string; arn: string }> {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: `alerts-${randomUUID()}` }));
    const url = created.QueueUrl ?? '';
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return { url, arn: attributes.Attributes?.QueueArn ?? '' };
  }

  /** Every message in the queue, until a receive comes back empty. */
  async function drain(url: string): Promise<Received> {
    const received: Received = { keys: [], alerts: [], attributes: [], subjects: [] };
    for (;;) {
      const page = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = page.Messages ?? [];
      if (messages.length === 0) return received;
      for (const message of messages) {
        const body = message.Body ?? '';
        const alert = alertFromSqsBody(body);
        received.keys.push(alert.key);
        received.alerts.push(alert);
        const envelope = JSON.parse(body) as {
          Subject: string | null;
          MessageAttributes: Record<string, { Value: string }>;
        };
        received.subjects.push(envelope.Subject);
        received.attributes.push(
          Object.fromEntries(Object.entries(envelope.MessageAttributes).map(([k, v]) => [k, v.Value])),
        );
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }

  it('delivers each alert once, and only to its own customer’s or partner’s queue, across repeated deliveries', async () => {
    const customerA = { kind: 'customer' as const, id: `customer-a-${randomUUID()}` };
    const customerB = { kind: 'customer' as const, id: `customer-b-${randomUUID()}` };
    const partnerX = { kind: 'partner' as const, id: `partner-x-${randomUUID()}` };
    const [queueA, queueB, queueX] = await Promise.all([aQueue(), aQueue(), aQueue()]);
    await publisher.subscribeQueue(customerA, queueA.arn);
    await publisher.subscribeQueue(customerB, queueB.arn);
    await publisher.subscribeQueue(partnerX, queueX.arn);
    const subA = `sub-${randomUUID()}`;
    const subB = `sub-${randomUUID()}`;
    const forA = [
      about(templates.budgetThreshold, customerA, customerA.id, subA),
      about(templates.spike, customerA, customerA.id, subA),
    ];
    const forB = [about(templates.budgetThreshold, customerB, customerB.id, subB)];
    // The partner hears about both of its customers; the customers never hear the partner's alerts.
    const forX = [
      about(templates.chargesOverCreditLevel, partnerX, customerA.id, subA),
      about(templates.provisionalCreditExceeded, partnerX, customerB.id, subB),
    ];
    const inputs: DeliverAlertInput[] = [...forA, ...forB, ...forX].map((candidate) => ({
      candidate,
      locale: 'ja',
    }));
    const deps = { alertLog, publisher, clock: new FixedClock('2025-12-28T03:00:00.000Z') };

    // Repeated evaluations and a redelivered aggregation message running concurrently with one of them.
    await deliverAlerts(deps, inputs);
    await Promise.all([deliverAlerts(deps, inputs), deliverAlerts(deps, [...inputs].reverse())]);
    await deliverAlerts(deps, inputs);

    const [a, b, x] = await Promise.all([drain(queueA.url), drain(queueB.url), drain(queueX.url)]);
    expect(a.keys.sort()).toEqual(forA.map(alertKey).sort());
    expect(b.keys.sort()).toEqual(forB.map(alertKey).sort());
    expect(x.keys.sort()).toEqual(forX.map(alertKey).sort());
    expect(a.attributes).toContainEqual(
      expect.objectContaining({
        recipient: `customer:${customerA.id}`,
        role: 'customer',
        rule: 'budgetThreshold',
        severity: 'warning',
        subscriptionId: subA,
      }),
    );
    expect(x.attributes.every((attributes) => attributes.recipient === `partner:${partnerX.id}`)).toBe(true);
    // The attributes subscriptions filter on are those of the alert each message carries.
    expect(a.attributes).toEqual(a.alerts.map((alert) => expect.objectContaining({ ...alertAttributes(alert) })));
    expect(a.subjects.every((subject) => subject?.startsWith('【'))).toBe(true);
    const budget = a.alerts.find((alert) => alert.rule === 'budgetThreshold');
    expect(budget).toMatchObject({
      threshold: '0.8',
      facts: { monthToDate: { amount: '150000', currency: 'JPY' }, planned: { amount: '150000', currency: 'JPY' } },
    });
    expect(budget?.sms).toContain('¥150,000');
  });
});
