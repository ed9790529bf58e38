import { describe, expect, it } from 'vitest';
import { recordReportingMetrics } from '#functions/usage-reporter/metrics.ts';
import { addCount } from '#shared/observability.ts';
import type { ReportingRunSummary } from '#shared/use-cases/metering/report-usage.ts';

/** Records what a handler adds, in the two shapes Powertools offers (plain and single metric with a dimension). */
function recorder() {
  const added: { name: string; value: number; dimensions: Record<string, string> }[] = [];
  const target = {
    addMetric(name: string, _unit: unknown, value: number) {
      added.push({ name, value, dimensions: {} });
      return target as never;
    },
    singleMetric() {
      const dimensions: Record<string, string> = {};
      const single = {
        addDimension(key: string, value: string) {
          dimensions[key] = value;
          return single;
        },
        addMetric(name: string, _unit: unknown, value: number) {
          added.push({ name, value, dimensions });
        },
      };
      return single as never;
    },
  };
  return { target, added };
}

/** The summary of a reporting run that found nothing to report: what every idle shard invocation produces. */
function idleRun(overrides: Partial<ReportingRunSummary> = {}): ReportingRunSummary {
  return {
    runId: 'run-1',
    lastHour: '2026-12-07T05:00:00.000Z',
    groups: 0,
    blockedGroups: 0,
    failedGroups: 0,
    slotsRated: 0,
    slotsIncluded: 0,
    slotsFoldedOutsideWindow: 0,
    lateFolds: 0,
    lateQuantity: '0',
    unreportableSlots: 0,
    carryPlaced: 0,
    carryUnreportable: 0,
    eventsSent: 0,
    batchFailures: 0,
    answers: { accepted: 0, duplicateMismatch: 0, expiredFolded: 0, unreportable: 0, rejected: 0, retry: 0 },
    expiredAfterRetry: 0,
    alertFailures: 0,
    conflicts: 0,
    oldestUnreportedAgeHours: 0,
    duplicateAnswers: 0,
    meteringCalls: 0,
    remainingGroups: 0,
    ...overrides,
  };
}

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
    expect(added).toHaveLength(7);
    expect(added.every((metric) => metric.value > 0)).toBe(true);
  });

  it('counts only what is there to count', () => {
    const { target, added } = recorder();

    addCount('AlertsSent', 0, target);
    addCount('AlertsSent', 2, target);

    expect(added).toEqual([{ name: 'AlertsSent', value: 2, dimensions: {} }]);
  });
});
