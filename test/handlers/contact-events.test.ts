import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { type ContactAddress, contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/contact-events/handler.ts')['handler'];

function anSqsEvent(bodies: readonly string[]): SQSEvent {
  return {
    Records: bodies.map(
      (body, index): SQSRecord => ({
        messageId: `m-${index}`,
        receiptHandle: `r-${index}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.parse('2026-11-10T00:00:00Z')),
          SenderId: 'sns',
          ApproximateFirstReceiveTimestamp: String(Date.parse('2026-11-10T00:00:01Z')),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:ContactEvents',
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

describe('the contact-events consumer on DynamoDB Local', () => {
  let handler: Handler;
  let states: DynamoContactStates;

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    ({ handler } = await import('#functions/contact-events/handler.ts'));
    states = new DynamoContactStates(localClients().documentClient, resources[MAIN_TABLE.envVar] ?? '');
  });

  it('bounces, complains and opts out contacts from SES and SMS events; reports only the unreadable record', async () => {
    const suffix = randomUUID().slice(0, 8);
    const bounced: ContactAddress = { channel: 'email', address: `gone-${suffix}@fabrikam.example` };
    const complained: ContactAddress = { channel: 'email', address: `angry-${suffix}@fabrikam.example` };
    const number = `+8190${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const stopped: ContactAddress = { channel: 'sms', address: number };
    for (const contact of [bounced, complained, stopped]) {
      await states.register({ kind: 'customer', id: `tenant-${suffix}` }, contact, 'ja');
    }
    const bounce = sampleEvent<Record<string, unknown>>('delivery/ses-bounce-permanent.json');
    const complaint = sampleEvent<Record<string, unknown>>('delivery/ses-complaint.json');
    const stop = sampleEvent<Record<string, unknown>>('delivery/sms-inbound-stop.json');
    const delivered = sampleEvent<Record<string, unknown>>('delivery/ses-delivery.json');
    const withAddress = (event: Record<string, unknown>, from: string, to: string) =>
      JSON.stringify(event).replaceAll(from, to);

    const answer = await handler(
      anSqsEvent([
        withAddress(bounce, 'No-Such-User@Fabrikam.example', bounced.address),
        // The same record in the SNS envelope (a subscription without raw delivery) is read the same way.
        JSON.stringify({
          Type: 'Notification',
          Message: withAddress(complaint, 'billing@fabrikam.example', complained.address),
        }),
        withAddress(stop, '+819012345678', number),
        JSON.stringify(delivered),
        'not json',
      ]),
      aLambdaContext('ContactEvents'),
    );

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-4' }] });
    const stored = await states.read([bounced, complained, stopped]);
    expect(stored.get(contactKey(bounced))).toMatchObject({ status: 'bounced', since: '2026-11-03T02:15:31.000Z' });
    expect(stored.get(contactKey(complained))?.status).toBe('complained');
    expect(stored.get(contactKey(stopped))?.status).toBe('optedOut');
  });
});
