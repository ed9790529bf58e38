import { randomUUID } from 'node:crypto';
import { MessageRejected, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSes, startLocalSes, storedMails } from '#infra/local/ses-local.ts';
import { createSesClient } from '#shared/adapters/aws-clients.ts';
import { SesEmailChannel, sesError } from '#shared/adapters/ses/ses-email-channel.ts';
import { RecipientRefused } from '#shared/use-cases/alerts/ports/notification-channels.ts';

describe('SES e-mail channel (against aws-ses-v2-local)', () => {
  let ses: LocalSes;
  let channel: SesEmailChannel;

  beforeAll(async () => {
    ses = await startLocalSes();
    channel = new SesEmailChannel(createSesClient(ses.endpoint), {
      from: 'Alerts <alerts@publisher.example>',
      configurationSetName: 'marketplace-alerts',
    });
  });
  afterAll(() => ses.stop());

  it('sends text and HTML in UTF-8 from the configured address, with one-click unsubscribe headers', async () => {
    const to = `it-${randomUUID()}@customer.example`;

    const accepted = await channel.send({
      to,
      subject: '【予算アラート】利用料金が予定額の80%に達しました',
      text: '利用料金が ¥80,000 になりました。',
      html: '<p>利用料金が ¥80,000 になりました。</p>',
      unsubscribeUrl: 'https://alerts.publisher.example/unsubscribe?token=abc',
      tags: { alertKey: 'customer:t#sub#budgetThreshold#0.8#2025-12', rule: 'budgetThreshold' },
    });

    const mail = (await storedMails(ses.endpoint)).find((stored) => stored.destination.to.includes(to));
    expect(mail).toMatchObject({
      messageId: accepted.messageId,
      from: 'Alerts <alerts@publisher.example>',
      subject: '【予算アラート】利用料金が予定額の80%に達しました',
      body: { text: '利用料金が ¥80,000 になりました。', html: '<p>利用料金が ¥80,000 になりました。</p>' },
    });
    expect(mail?.headers).toEqual([
      { name: 'List-Unsubscribe', value: '<https://alerts.publisher.example/unsubscribe?token=abc>' },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ]);
  });

  it('sends no unsubscribe headers when the mail has no unsubscribe link (a confirmation request)', async () => {
    const to = `new-${randomUUID()}@customer.example`;

    await channel.send({ to, subject: 'Confirm', text: 'Follow the link to confirm.' });

    const mail = (await storedMails(ses.endpoint)).find((stored) => stored.destination.to.includes(to));
    expect(mail?.body.text).toBe('Follow the link to confirm.');
    expect(mail?.headers ?? []).toEqual([]);
  });

  it('turns permanent refusals into RecipientRefused and leaves throttling and the sandbox transient', () => {
    const rejected = (message: string) => new MessageRejected({ message, $metadata: {} });
    const suppressed = sesError(rejected('Email address is on the suppression list for your account'), 'a@b.example');
    const illegal = sesError(rejected('Illegal address'), 'not-an-address');
    const sandbox = sesError(rejected('Email address is not verified. The following identities failed'), 'a@b.example');
    const throttled = new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: {} });

    expect(suppressed).toBeInstanceOf(RecipientRefused);
    expect((suppressed as RecipientRefused).reason).toBe('suppressed');
    expect((illegal as RecipientRefused).reason).toBe('invalidAddress');
    expect(sandbox).not.toBeInstanceOf(RecipientRefused);
    expect((sandbox as Error).message).toMatch(/SES sandbox.*Request production access/);
    expect(sesError(throttled, 'a@b.example')).toBe(throttled);
  });
});
