import { describe, expect, it } from 'vitest';
import { flushUsageWithReporter } from '#shared/adapters/compose/usage-reporter-dependencies.ts';
import type { ReportUsageDeps } from '#shared/use-cases/metering/report-usage.ts';
import { aMeteredSubscription, aMeteringCatalog, RecordingMeteringAlerts } from '#test/builders/reporting.ts';
import { FakeMeteringMarketplace } from '#test/helpers/fake-metering-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryReportingLedger } from '#test/helpers/in-memory-reporting-ledger.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';

const H09 = '2026-01-15T09:00:00.000Z';
const H10 = '2026-01-15T10:00:00.000Z';

/** The reporter's dependencies in memory, with a subscription cancelled at 10:30 that used the API at 09:00 and 10:00. */
async function aReporterWorld() {
  const clock = new FixedClock('2026-01-15T10:31:00.000Z');
  const ledger = new InMemoryReportingLedger();
  const subscriptions = new InMemorySubscriptionStore();
  const marketplace = new FakeMeteringMarketplace(clock);
  const cancelled = aMeteredSubscription({
    timeline: [
      { from: '2026-01-06T10:00:00.000Z', status: 'Subscribed', planId: 'small' },
      { from: '2026-01-15T10:30:00.000Z', status: 'Unsubscribed', planId: 'small' },
    ],
  });
  await subscriptions.put(cancelled);
  ledger.addUsage(cancelled.id, 'api-calls', H09, '25');
  ledger.addUsage(cancelled.id, 'api-calls', H10, '4');
  const deps: ReportUsageDeps = {
    ledger,
    subscriptions,
    catalog: aMeteringCatalog(),
    marketplace,
    alerts: new RecordingMeteringAlerts(),
    clock,
    graceMinutes: 10,
  };
  return { deps, marketplace, cancelled };
}

describe('flushUsageWithReporter (the fulfillment webhook’s flush after a cancellation)', () => {
  it('reports the cancelled subscription’s usage up to the cancellation at once, without the grace', async () => {
    const { deps, marketplace, cancelled } = await aReporterWorld();
    const flush = flushUsageWithReporter(async () => deps);

    await flush(cancelled.id, new Date('2026-01-15T10:30:00.000Z'));

    expect(marketplace.sent.map((event) => [event.effectiveStartTime, event.quantity])).toEqual([
      [H09, 15],
      [H10, 4],
    ]);
  });

  it('builds the reporter on the first cancellation only, and once for all the later ones', async () => {
    const { deps, cancelled } = await aReporterWorld();
    let builds = 0;
    const flush = flushUsageWithReporter(async () => {
      builds++;
      return deps;
    });

    const beforeAnyCancellation = builds;
    await flush(cancelled.id, new Date('2026-01-15T10:30:00.000Z'));
    await flush(cancelled.id, new Date('2026-01-15T10:30:00.000Z'));

    expect(beforeAnyCancellation).toBe(0);
    expect(builds).toBe(1);
  });

  it('throws what the build throws, for the webhook to log', async () => {
    const flush = flushUsageWithReporter(async () => {
      throw new Error('marketplace credentials unreadable');
    });

    await expect(flush('any', new Date('2026-01-15T10:30:00.000Z'))).rejects.toThrow(/credentials unreadable/);
  });
});
