import { PutOptedOutNumberCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmsStandIn, startSmsStandIn } from '#infra/local/sms-stand-in.ts';
import { createSmsClient } from '#shared/adapters/aws-clients.ts';
import { EndUserMessagingSmsChannel } from '#shared/adapters/sms/sms-channel.ts';
import { RecipientRefused } from '#shared/use-cases/alerts/ports/notification-channels.ts';

describe('End User Messaging SMS channel (against the SMS stand-in)', () => {
  let standIn: SmsStandIn;
  let channel: EndUserMessagingSmsChannel;
  const client = () => createSmsClient(standIn.endpoint);

  beforeAll(async () => {
    standIn = await startSmsStandIn();
    channel = new EndUserMessagingSmsChannel(client(), {
      originationIdentity: 'arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-1',
      configurationSetName: 'marketplace-alerts',
      allowedCountries: ['US', 'JP'],
    });
  });
  afterAll(() => standIn.stop());

  it('sends a transactional SMS from the origination identity, in the configuration set, with its tags', async () => {
    const accepted = await channel.send({
      to: '+819012345678',
      body: '予算アラート: 利用料金が¥80,000 (80%)',
      tags: { alertKey: 'customer:t#sub#budgetThreshold#0.8#2025-12' },
    });

    expect(standIn.messages().at(-1)).toMatchObject({
      messageId: accepted.messageId,
      destinationPhoneNumber: '+819012345678',
      originationIdentity: 'arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-1',
      messageBody: '予算アラート: 利用料金が¥80,000 (80%)',
      messageType: 'TRANSACTIONAL',
      configurationSetName: 'marketplace-alerts',
      context: { alertKey: 'customer:t#sub#budgetThreshold#0.8#2025-12' },
    });
  });

  it('refuses a number outside the allowed countries without calling the service', async () => {
    const before = standIn.messages().length;

    const refusal = await channel.send({ to: '+447700900123', body: 'alert' }).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(RecipientRefused);
    expect((refusal as RecipientRefused).reason).toBe('countryNotAllowed');
    expect((refusal as RecipientRefused).message).toContain('smsCountries');
    expect(standIn.messages()).toHaveLength(before);
  });

  it('reports an opted-out number (it replied STOP) as refused for good', async () => {
    await client().send(new PutOptedOutNumberCommand({ OptOutListName: 'Default', OptedOutNumber: '+12065550100' }));

    const refusal = await channel.send({ to: '+12065550100', body: 'alert' }).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(RecipientRefused);
    expect((refusal as RecipientRefused).reason).toBe('optedOut');
    expect(standIn.messages().some((sms) => sms.destinationPhoneNumber === '+12065550100')).toBe(false);
  });

  it('lets a person see what was sent and opt a number out over HTTP', async () => {
    const optOut = await fetch(`${standIn.endpoint}/opt-outs`, {
      method: 'POST',
      body: JSON.stringify({ phoneNumber: '+819099990000' }),
    });
    const listed = (await (await fetch(`${standIn.endpoint}/messages`)).json()) as { messages: unknown[] };

    expect(optOut.status).toBe(204);
    expect(listed.messages.length).toBe(standIn.messages().length);
    const refusal = await channel.send({ to: '+819099990000', body: 'alert' }).catch((error: unknown) => error);
    expect((refusal as RecipientRefused).reason).toBe('optedOut');
  });
});
