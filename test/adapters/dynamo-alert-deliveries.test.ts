import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAlertDeliveries } from '#shared/adapters/dynamodb/dynamo-alert-deliveries.ts';
import type { ContactAddress } from '#shared/use-cases/alerts/ports/contact-states.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const email = (): ContactAddress => ({ channel: 'email', address: `ops-${randomUUID()}@contoso.example` });

describe('DynamoDB alert deliveries', () => {
  const { documentClient } = localClients();
  let deliveries: DynamoAlertDeliveries;

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    deliveries = new DynamoAlertDeliveries(documentClient, env[MAIN_TABLE.envVar] ?? '');
  });

  it('lets one of two concurrent claims win, and keeps a sent delivery sent', async () => {
    const key = `alert-${randomUUID()}`;
    const contact = email();

    const claims = await Promise.all([
      deliveries.claim(key, contact, T0, later(60)),
      deliveries.claim(key, contact, T0, later(60)),
    ]);
    const winner = claims.find((claim) => claim.claimed);
    expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
    expect(claims.find((claim) => !claim.claimed)).toMatchObject({ existing: { state: 'sending', attempts: 1 } });

    await deliveries.settle(
      key,
      contact,
      winner?.claimed ? winner.attempts : 0,
      { state: 'sent', messageId: 'm-1' },
      later(1),
    );
    const afterLease = await deliveries.claim(key, contact, later(3600), later(3660));

    expect(afterLease).toEqual({
      claimed: false,
      existing: { alertKey: key, contact, state: 'sent', messageId: 'm-1', at: later(1).toISOString(), attempts: 1 },
    });
  });

  it('claims a held or retried delivery again, and a sending one only after its lease', async () => {
    const key = `alert-${randomUUID()}`;
    const [held, crashed] = [email(), email()];
    await deliveries.claim(key, held, T0, later(60));
    await deliveries.settle(key, held, 1, { state: 'held', reason: 'pending' }, T0);
    await deliveries.claim(key, crashed, T0, later(60));

    expect(await deliveries.claim(key, held, later(10), later(70))).toEqual({ claimed: true, attempts: 2 });
    expect(await deliveries.claim(key, crashed, later(30), later(90))).toMatchObject({ claimed: false });
    expect(await deliveries.claim(key, crashed, later(61), later(121))).toEqual({ claimed: true, attempts: 2 });
  });

  it('ignores the settlement of a claim that was taken over, and lists every contact of the alert', async () => {
    const key = `alert-${randomUUID()}`;
    const [slow, other] = [email(), { channel: 'sms', address: '+819012345678' } as const];
    await deliveries.claim(key, slow, T0, later(60));
    await deliveries.claim(key, slow, later(61), later(121));
    await deliveries.claim(key, other, T0, later(60));

    await deliveries.settle(key, slow, 1, { state: 'sent', messageId: 'late' }, later(62));
    await deliveries.settle(key, slow, 2, { state: 'failed', reason: 'suppressed' }, later(63));
    await deliveries.settle(key, other, 1, { state: 'suppressed', reason: 'optedOut' }, later(64));

    const listed = await deliveries.list(key);
    expect(listed.map((d) => [d.contact.channel, d.state, d.reason, d.messageId]).sort()).toEqual([
      ['email', 'failed', 'suppressed', undefined],
      ['sms', 'suppressed', 'optedOut', undefined],
    ]);
  });
});
