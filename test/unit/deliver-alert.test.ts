import { describe, expect, it } from 'vitest';
import { alertKey } from '#shared/domain/alerts/alert.ts';
import { alertMessageOf } from '#shared/domain/alerts/alert-message.ts';
import { Money } from '#shared/domain/money.ts';
import { deliverAlert, deliverAlerts } from '#shared/use-cases/alerts/deliver-alert.ts';
import { oneCandidatePerRule } from '#test/builders/alerts.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAlertLog, RecordingPublisher } from '#test/helpers/in-memory-alert-log.ts';

const candidates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '1000' : '100000', 'JPY'));
const budgetAlert = { candidate: candidates.budgetThreshold, locale: 'ja' as const };

function setup() {
  const alertLog = new InMemoryAlertLog();
  const publisher = new RecordingPublisher();
  const clock = new FixedClock('2025-12-10T03:00:00.000Z');
  return { alertLog, publisher, clock, deps: { alertLog, publisher, clock, leaseSeconds: 60 } };
}

describe('deliver alert', () => {
  it('publishes a new alert once and marks it sent; later deliveries of the same candidate send nothing', async () => {
    const { deps, publisher, alertLog } = setup();

    const first = await deliverAlert(deps, budgetAlert);
    const again = await deliverAlert(deps, budgetAlert);

    expect(first).toEqual({ key: alertKey(candidates.budgetThreshold), outcome: 'sent', messageId: 'message-1' });
    expect(again).toEqual({ key: first.key, outcome: 'alreadySent', messageId: 'message-1' });
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]).toMatchObject({
      key: first.key,
      recipient: { kind: 'customer', id: 'customer-a' },
      rule: 'budgetThreshold',
      severity: 'warning',
    });
    expect(alertLog.entries.get(first.key)).toMatchObject({ state: 'sent', attempts: 1, messageId: 'message-1' });
  });

  it('publishes the message of the recorded alert: its key, the candidate, the texts recorded and the stored facts', async () => {
    const { deps, publisher, alertLog } = setup();
    const spike = { candidate: candidates.spike, locale: 'en' as const };

    const { key } = await deliverAlert(deps, budgetAlert);
    const { key: spikeKey } = await deliverAlert(deps, spike);

    const recorded = alertLog.entries.get(key);
    if (!recorded) throw new Error('the alert was not recorded');
    expect(publisher.published[0]).toEqual(alertMessageOf(key, candidates.budgetThreshold, recorded.message));
    expect(publisher.published[0]).toMatchObject({
      threshold: candidates.budgetThreshold.threshold,
      customerId: candidates.budgetThreshold.customerId,
      facts: { monthToDate: { amount: '100000', currency: 'JPY' } },
    });
    // A rule with a single condition publishes no threshold at all.
    expect(publisher.published[1]?.key).toBe(spikeKey);
    expect(publisher.published[1]).not.toHaveProperty('threshold');
  });

  it('still sends the alert on a retry when publishing failed after the log write', async () => {
    const { deps, publisher, alertLog } = setup();
    publisher.failures = 1;

    await expect(deliverAlert(deps, budgetAlert)).rejects.toThrow('simulated SNS outage');
    const key = alertKey(candidates.budgetThreshold);
    expect(alertLog.entries.get(key)?.state).toBe('pending');
    // The failed delivery gave its lease up, so even an immediate retry publishes.
    const retried = await deliverAlert(deps, { ...budgetAlert, locale: 'en' });

    expect(retried.outcome).toBe('sent');
    expect(publisher.published).toHaveLength(1);
    // The texts recorded first are the ones sent, whatever the retry would render.
    expect(publisher.published[0]?.subject).toBe(alertLog.entries.get(key)?.message.subject);
    expect(publisher.published[0]?.subject).toContain('予算アラート');
    expect(alertLog.entries.get(key)).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('leaves an alert to the delivery holding its lease, and takes it over once the lease runs out', async () => {
    const { deps, publisher, alertLog, clock } = setup();
    const key = alertKey(candidates.budgetThreshold);
    // Another delivery recorded it a moment ago and is publishing (or crashed while publishing).
    await alertLog.record({
      key,
      candidate: candidates.budgetThreshold,
      locale: 'ja',
      message: { subject: 's', body: 'b', sms: 'm' },
      createdAt: clock.now(),
      leaseUntil: new Date(clock.now().getTime() + 60_000),
    });

    clock.advanceMinutes(0.5);
    expect((await deliverAlert(deps, budgetAlert)).outcome).toBe('inFlight');
    expect(publisher.published).toHaveLength(0);
    clock.advanceMinutes(1);
    expect((await deliverAlert(deps, budgetAlert)).outcome).toBe('sent');
    expect(publisher.published.map((m) => m.sms)).toEqual(['m']);
    expect(alertLog.entries.get(key)?.state).toBe('sent');
  });

  it('lets one of two concurrent retries claim an expired pending alert', async () => {
    const { deps, publisher, clock } = setup();
    publisher.failures = 1;
    await expect(deliverAlert(deps, budgetAlert)).rejects.toThrow();
    clock.advanceMinutes(5);

    const outcomes = await Promise.all([deliverAlert(deps, budgetAlert), deliverAlert(deps, budgetAlert)]);

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['inFlight', 'sent']);
    expect(publisher.published).toHaveLength(1);
  });

  it('sends again when it crashed between publishing and marking sent (at-least-once, by design)', async () => {
    const { deps, publisher, alertLog, clock } = setup();
    alertLog.failNextMarkSent = true;
    await expect(deliverAlert(deps, budgetAlert)).rejects.toThrow('simulated crash');
    clock.advanceMinutes(5);

    await deliverAlert(deps, budgetAlert);

    expect(publisher.published).toHaveLength(2);
    expect(new Set(publisher.published.map((m) => m.key)).size).toBe(1);
  });

  it('delivers every candidate of a batch and reports the failures together', async () => {
    const { deps, publisher } = setup();
    publisher.failures = 1;
    const inputs = [budgetAlert, { candidate: candidates.spike, locale: 'en' as const }];

    await expect(deliverAlerts(deps, inputs)).rejects.toThrow(AggregateError);
    expect(publisher.published).toHaveLength(1);
  });
});
