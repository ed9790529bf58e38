import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAlertLog } from '#shared/adapters/dynamodb/dynamo-alert-log.ts';
import { type AlertCandidate, alertKey } from '#shared/domain/alerts/alert.ts';
import { renderAlert } from '#shared/domain/alerts/templates.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';
import type { NewAlertEntry } from '#shared/use-cases/alerts/ports/alert-log.ts';
import { oneCandidatePerRule } from '#test/builders/alerts.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const templates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '1234.5' : '98765.43', 'USD'));

/** Candidates of a fresh customer, subscription and partner, so tests sharing the table never collide. */
function freshScope() {
  const customerId = `customer-${randomUUID()}`;
  const subscriptionId = `sub-${randomUUID()}`;
  const partnerId = `partner-${randomUUID()}`;
  const forCustomer = (candidate: AlertCandidate, periodKey: string): AlertCandidate =>
    ({
      ...candidate,
      customerId,
      subscriptionId,
      periodKey,
      recipient: { kind: 'customer', id: customerId },
    }) as AlertCandidate;
  const forPartner = (candidate: AlertCandidate, periodKey: string): AlertCandidate =>
    ({
      ...candidate,
      customerId,
      subscriptionId,
      periodKey,
      recipient: { kind: 'partner', id: partnerId },
    }) as AlertCandidate;
  return { customerId, subscriptionId, partnerId, forCustomer, forPartner };
}

function entryFor(candidate: AlertCandidate, createdAt: string): NewAlertEntry {
  return {
    key: alertKey(candidate),
    candidate,
    locale: 'en',
    message: renderAlert(candidate, 'en'),
    createdAt: new Date(createdAt),
    leaseUntil: new Date(new Date(createdAt).getTime() + 60_000),
  };
}

describe('DynamoDB alert log', () => {
  const { documentClient } = localClients();
  let log: DynamoAlertLog;

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    log = new DynamoAlertLog(documentClient, env[MAIN_TABLE.envVar] ?? '');
  });

  it('records an alert once when ten deliveries race for the same key', async () => {
    const scope = freshScope();
    const entry = entryFor(scope.forCustomer(templates.budgetThreshold, '2025-04'), '2025-04-10T01:00:00Z');

    const results = await Promise.all(Array.from({ length: 10 }, () => log.record(entry)));

    expect(results.filter((r) => r.outcome === 'new')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(9);
    const page = await log.listBySubscription(scope.subscriptionId);
    expect(page.entries).toHaveLength(1);
  });

  it('reads back exactly what was recorded, facts as exact amounts', async () => {
    const scope = freshScope();
    for (const template of Object.values(templates)) {
      const candidate =
        template.recipient.kind === 'customer'
          ? scope.forCustomer(template, template.periodKey)
          : scope.forPartner(template, template.periodKey);
      const entry = entryFor(candidate, '2025-04-10T01:00:00Z');
      await log.record(entry);
      expect(await log.get(entry.key)).toEqual({ ...entry, state: 'pending', attempts: 1 });
    }
  });

  it('lists a recipient’s alerts newest first, page by page, and nobody else’s', async () => {
    const scope = freshScope();
    const other = freshScope();
    const days = ['2025-04-01', '2025-04-02', '2025-04-03', '2025-04-04', '2025-04-05'];
    for (const day of days) {
      await log.record(entryFor(scope.forCustomer(templates.spike, day), `${day}T05:00:00Z`));
      await log.record(entryFor(other.forCustomer(templates.spike, day), `${day}T05:00:00Z`));
    }
    await log.record(entryFor(scope.forPartner(templates.chargesOverCreditLevel, '2025-04'), '2025-04-06T00:00:00Z'));

    const recipient = { kind: 'customer' as const, id: scope.customerId };
    const first = await log.listByRecipient(recipient, { limit: 2 });
    const second = await log.listByRecipient(recipient, { limit: 2, cursor: first.nextCursor });
    const third = await log.listByRecipient(recipient, { limit: 2, cursor: second.nextCursor });

    const periods = [...first.entries, ...second.entries, ...third.entries].map((e) => e.candidate.periodKey);
    expect(periods).toEqual([...days].reverse());
    for (const entry of [...first.entries, ...second.entries, ...third.entries]) {
      expect(entry.candidate.recipient).toEqual(recipient);
    }
    const partnerHistory = await log.listByRecipient({ kind: 'partner', id: scope.partnerId });
    expect(partnerHistory.entries.map((e) => e.candidate.rule)).toEqual(['chargesOverCreditLevel']);
  });

  it('lists a subscription’s alerts to its customer and its partner, newest first', async () => {
    const scope = freshScope();
    const customerAlert = entryFor(scope.forCustomer(templates.budgetThreshold, '2025-04'), '2025-04-10T00:00:00Z');
    const partnerAlert = entryFor(scope.forPartner(templates.monthStartBlocked, '2025-05'), '2025-05-01T00:00:00Z');
    await log.record(customerAlert);
    await log.record(partnerAlert);

    const history = await log.listBySubscription(scope.subscriptionId);

    expect(history.entries.map((e) => e.key)).toEqual([partnerAlert.key, customerAlert.key]);
    expect(history.nextCursor).toBeUndefined();
  });

  it('lets one of two retries claim a pending alert, and marks it sent in both histories', async () => {
    const scope = freshScope();
    const entry = entryFor(scope.forCustomer(templates.budgetForecast, '2025-04'), '2025-04-10T00:00:00Z');
    await log.record(entry);
    const lease = new Date('2025-04-10T00:05:00Z');

    const claims = await Promise.all([log.claim(entry.key, 1, lease), log.claim(entry.key, 1, lease)]);
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    expect(claims.find((c) => c)?.attempts).toBe(2);
    // Only the holder of the current claim (2 attempts) can give the lease up.
    const releasedAt = new Date('2025-04-10T00:00:30Z');
    await log.release(entry.key, 1, releasedAt);
    expect((await log.get(entry.key))?.leaseUntil).toEqual(lease);
    await log.release(entry.key, 2, releasedAt);
    expect((await log.get(entry.key))?.leaseUntil).toEqual(releasedAt);

    await log.markSent(entry.key, new Date('2025-04-10T00:01:00Z'), 'sns-message-1');
    expect(await log.claim(entry.key, 2, lease)).toBeUndefined();
    const stored = await log.get(entry.key);
    expect(stored).toMatchObject({ state: 'sent', messageId: 'sns-message-1' });
    expect((await log.listBySubscription(scope.subscriptionId)).entries[0]).toMatchObject({ state: 'sent' });
    expect((await log.record(entry)).entry).toMatchObject({ state: 'sent' });
  });

  it('refuses a cursor that is malformed or belongs to another history', async () => {
    const scope = freshScope();
    const other = freshScope();
    for (const day of ['2025-04-01', '2025-04-02']) {
      await log.record(entryFor(other.forCustomer(templates.spike, day), `${day}T05:00:00Z`));
    }
    const page = await log.listByRecipient({ kind: 'customer', id: other.customerId }, { limit: 1 });

    await expect(
      log.listByRecipient({ kind: 'customer', id: scope.customerId }, { cursor: page.nextCursor }),
    ).rejects.toThrow(ValidationError);
    await expect(log.listBySubscription(scope.subscriptionId, { cursor: 'not-a-cursor' })).rejects.toThrow(
      ValidationError,
    );
    await expect(log.listBySubscription(scope.subscriptionId, { limit: 1000 })).rejects.toThrow(ValidationError);
  });
});
