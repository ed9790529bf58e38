import { describe, expect, it } from 'vitest';
import { recordReportingMetrics } from '#functions/usage-reporter/metrics.ts';
import { addCount } from '#shared/observability.ts';
import { idleRun, recorder } from '#test/helpers/metrics-recorder.ts';

describe('metrics of an idle system', () => {
  it('publishes no reporter metric at all for a run that found nothing to report', () => {
    const { target, added } = recorder();

    recordReportingMetrics(target, idleRun());

    expect(added).toEqual([]);
  });

  it('publishes only the non-zero figures of a run that did report, with the oldest waiting usage', () => {
    const { target, added } = recorder();

    recordReportingMetrics(
      target,
      idleRun({
        groups: 2,
        slotsRated: 3,
        eventsSent: 3,
        answers: { accepted: 2, duplicateMismatch: 0, expiredFolded: 0, unreportable: 0, rejected: 1, retry: 0 },
        expiredAfterRetry: 1,
        oldestUnreportedAgeHours: 2.5,
        oldestUnreportedHour: '2026-12-07T03:00:00.000Z',
      }),
    );

    expect(added).toEqual(
      expect.arrayContaining([
        { name: 'OldestUnreportedSlotAgeHours', value: 2.5, dimensions: {} },
        { name: 'ReportedSlots', value: 2, dimensions: { status: 'accepted' } },
        { name: 'ReportedSlots', value: 1, dimensions: { status: 'rejected' } },
        { name: 'MeteringRejected', value: 1, dimensions: {} },
        { name: 'ExpiredAfterRetry', value: 1, dimensions: {} },
        { name: 'SlotsRated', value: 3, dimensions: {} },
        { name: 'MeteringEventsSent', value: 3, dimensions: {} },
      ]),
    );
    // The rejection and the expiry after a retry need an operator: each also adds to NeedsAttention, undimensioned.
    expect(added.filter((metric) => metric.name === 'NeedsAttention')).toEqual([
      { name: 'NeedsAttention', value: 1, dimensions: { cleared: 'service' } },
      { name: 'NeedsAttention', value: 1, dimensions: { cleared: 'service' } },
    ]);
    expect(added).toHaveLength(9);
    expect(added.every((metric) => metric.value > 0)).toBe(true);
  });

  it('counts only what is there to count', () => {
    const { target, added } = recorder();

    addCount('AlertsSent', 0, target);
    addCount('AlertsSent', 2, target);

    expect(added).toEqual([{ name: 'AlertsSent', value: 2, dimensions: {} }]);
  });
});
