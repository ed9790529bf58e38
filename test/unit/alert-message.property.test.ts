import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertFromSqsBody, alertPublishInput } from '#shared/adapters/sns/sns-alert-publisher.ts';
import { ALERT_RULES, recipientAddress } from '#shared/domain/alerts/alert.ts';
import {
  type AlertMessage,
  alertAttributes,
  alertFromNotification,
  toAlertNotification,
} from '#shared/domain/alerts/alert-message.ts';
import { ValidationError } from '#shared/domain/errors.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Alerts';

/** Any text, emoji and Japanese included: subjects, bodies and ids are not limited to ASCII. */
const text = (minLength = 0) => fc.string({ unit: 'grapheme', minLength, maxLength: 40 });

const anAmount = fc.record({
  amount: fc.stringMatching(/^\d{1,9}(\.\d{1,6})?$/),
  currency: fc.constantFrom('USD', 'JPY', 'EUR'),
});

const anAlertMessage: fc.Arbitrary<AlertMessage> = fc.record(
  {
    key: text(1),
    recipient: fc.record({ kind: fc.constantFrom('customer' as const, 'partner' as const), id: text(1) }),
    rule: fc.constantFrom(...ALERT_RULES),
    threshold: text(1),
    periodKey: text(1),
    severity: fc.constantFrom('info' as const, 'warning' as const, 'critical' as const),
    subscriptionId: text(1),
    customerId: text(),
    subject: text(),
    body: fc.string({ unit: 'grapheme', maxLength: 400 }),
    sms: text(),
    facts: fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z]{0,15}$/), fc.oneof(text(), fc.boolean(), anAmount)),
  },
  // Rules with a single condition carry no threshold.
  {
    requiredKeys: [
      'key',
      'recipient',
      'rule',
      'periodKey',
      'severity',
      'subscriptionId',
      'customerId',
      'subject',
      'body',
      'sms',
      'facts',
    ],
  },
);

/** The SNS `Message` of a publish with `MessageStructure: 'json'`: one text per protocol. */
const structureOf = (message: AlertMessage) =>
  JSON.parse(alertPublishInput(TOPIC_ARN, message).Message ?? '') as Record<string, string>;

describe('the alert message', () => {
  it('reads back from its JSON form as the same alert', () => {
    fc.assert(
      fc.property(anAlertMessage, (message) => {
        const json = JSON.stringify(toAlertNotification(message));

        expect(alertFromNotification(JSON.parse(json))).toEqual(message);
      }),
    );
  });

  it('reads back as the same alert from what an SQS subscriber of the topic receives, in every delivery form', () => {
    fc.assert(
      fc.property(anAlertMessage, fc.uuid(), (message, messageId) => {
        const structure = structureOf(message);
        // SNS to SQS: the `default` entry in the SNS envelope, or alone with raw message delivery.
        const envelope = JSON.stringify({ Type: 'Notification', MessageId: messageId, Message: structure.default });
        const raw = structure.default ?? '';
        // fauxqs: the whole JSON structure in the envelope.
        const fauxqs = JSON.stringify({
          Type: 'Notification',
          MessageId: messageId,
          Message: JSON.stringify(structure),
        });

        for (const body of [envelope, raw, fauxqs]) expect(alertFromSqsBody(body)).toEqual(message);
      }),
    );
  });

  it('is published with the attributes of the alert it carries, the recipient first among them', () => {
    fc.assert(
      fc.property(anAlertMessage, (message) => {
        const published = alertPublishInput(TOPIC_ARN, message);
        const attributes = Object.fromEntries(
          Object.entries(published.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
        );
        const carried = alertFromSqsBody(structureOf(message).default ?? '');

        expect(attributes).toMatchObject({ ...alertAttributes(carried) });
        expect(attributes.recipient).toBe(recipientAddress(message.recipient));
        expect(published.Subject).toBe(message.subject);
        expect(structureOf(message).sms).toBe(message.sms);
      }),
    );
  });

  it('refuses a document that is not an alert, naming the field at fault', () => {
    const valid = toAlertNotification(fc.sample(anAlertMessage, { numRuns: 1, seed: 7 })[0] as AlertMessage);

    expect(() => alertFromNotification({ ...valid, recipient: 'someone' })).toThrow(ValidationError);
    expect(() => alertFromNotification({ ...valid, recipient: 'someone' })).toThrow(/recipient: must be customer/);
    expect(() => alertFromNotification({ ...valid, rule: 'rumour' })).toThrow(/rule:/);
    expect(() => alertFromNotification({ ...valid, alertKey: undefined })).toThrow(/alertKey:/);
    expect(() => alertFromSqsBody(JSON.stringify({ Type: 'Notification', Message: '{"hello":1}' }))).toThrow(
      ValidationError,
    );
  });
});
