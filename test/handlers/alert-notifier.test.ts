import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSes, startLocalSes, storedMails } from '#infra/local/ses-local.ts';
import { type SmsStandIn, startSmsStandIn } from '#infra/local/sms-stand-in.ts';
import { MAIN_TABLE, NOTIFICATIONS_QUEUE } from '#infra/resources.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { alertKey } from '#shared/domain/alerts/alert.ts';
import { alertMessageOf, toAlertNotification } from '#shared/domain/alerts/alert-message.ts';
import { renderAlert } from '#shared/domain/alerts/templates.ts';
import { Money } from '#shared/domain/money.ts';
import { ENV } from '#shared/env-names.ts';
import { contactAddressesOf } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { aBudget, oneCandidatePerRule } from '#test/builders/alerts.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/alert-notifier/handler.ts')['handler'];

describe('the AlertNotifier handler against DynamoDB Local, fauxqs, aws-ses-v2-local and the SMS stand-in', () => {
  let handler: Handler;
  let ses: LocalSes;
  let smsStandIn: SmsStandIn;
  let queueUrl: string;
  let contactStates: DynamoContactStates;
  const customerId = `tenant-${randomUUID()}`;
  const address = `it-${randomUUID()}@customer.example`;
  const { sqs, documentClient } = localClients();

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    [ses, smsStandIn] = await Promise.all([startLocalSes(), startSmsStandIn()]);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: smsStandIn.endpoint,
      [ENV.alertEmailFrom]: 'Alerts <alerts@publisher.example>',
      [ENV.contactLinksBaseUrl]: 'https://api.publisher.example',
    });
    queueUrl = resources[NOTIFICATIONS_QUEUE.envVar] ?? '';
    const table = resources[MAIN_TABLE.envVar] ?? '';
    contactStates = new DynamoContactStates(documentClient, table);
    const budget = aBudget({ customerId, subscriptionId: `sub-${randomUUID()}`, contacts: { emails: [address] } });
    for (const contact of contactAddressesOf(budget.contacts)) {
      await contactStates.register({ kind: 'customer', id: customerId }, contact, 'en');
    }
    await new DynamoBudgetStore(documentClient, table).putBudget(budget);
    ({ handler } = await import('#functions/alert-notifier/handler.ts'));
  });
  afterAll(async () => {
    await Promise.all([ses?.stop(), smsStandIn?.stop()]);
  });

  const receive = async (): Promise<Message[]> =>
    (
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['All'] }),
      )
    ).Messages ?? [];
  const eventOf = (message: Message): SQSEvent => ({
    Records: [
      {
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1' },
      } as unknown as SQSRecord,
    ],
  });

  it('puts an alert for an unconfirmed contact back on the queue for later, and sends it once the contact confirms', async () => {
    const candidate = {
      ...oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '1000' : '100000', 'USD')).spike,
      recipient: { kind: 'customer' as const, id: customerId },
      customerId,
    };
    const message = alertMessageOf(alertKey(candidate), candidate, renderAlert(candidate, 'en'));
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(toAlertNotification(message)) }),
    );

    const [first] = await receive();
    const held = await handler(eventOf(first as Message), {} as never);

    // Reported as failed so SQS keeps it, and hidden for the first back-off (15 minutes), not the queue's 3.
    expect(held?.batchItemFailures).toEqual([{ itemIdentifier: first?.MessageId }]);
    expect(await receive()).toEqual([]);
    const counts = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(counts.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect((await storedMails(ses.endpoint)).filter((mail) => mail.destination.to.includes(address))).toEqual([]);

    // The person confirms; the alert's time comes (made visible now instead of in 15 minutes).
    await contactStates.confirm({ channel: 'email', address }, new Date());
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [again] = await receive();
    const sent = await handler(eventOf(again as Message), {} as never);

    expect(sent?.batchItemFailures).toEqual([]);
    const mails = (await storedMails(ses.endpoint)).filter((mail) => mail.destination.to.includes(address));
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe(message.subject);
    expect(mails[0]?.body.text).toContain(
      'Stop all alerts to this address: https://api.publisher.example/contacts/unsubscribe?',
    );
  });

  it('drops a message that is not an alert, reporting no failure (nothing could ever deliver it)', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"hello":"world"}' }));
    const [message] = await receive();

    const result = await handler(eventOf(message as Message), {} as never);

    expect(result?.batchItemFailures).toEqual([]);
  });
});
