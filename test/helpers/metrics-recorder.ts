import type { ReportingRunSummary } from '#shared/use-cases/metering/report-usage.ts';

/**
 * Records what a handler adds, in the two shapes Powertools offers (plain and single metric with a dimension). A
 * single metric whose default dimensions were cleared is recorded with `{ cleared: 'service' }`.
 */
export function recorder() {
  const added: { name: string; value: number; dimensions: Record<string, string> }[] = [];
  const target = {
    addMetric(name: string, _unit: unknown, value: number) {
      added.push({ name, value, dimensions: {} });
      return target as never;
    },
    singleMetric() {
      // Powertools' single metric starts with the `service` default dimension, which NeedsAttention clears.
      let dimensions: Record<string, string> = {};
      const single = {
        addDimension(key: string, value: string) {
          dimensions[key] = value;
          return single;
        },
        clearDefaultDimensions() {
          dimensions = { cleared: 'service' };
        },
        addDimensions(added: Record<string, string>) {
          Object.assign(dimensions, added);
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
export function idleRun(overrides: Partial<ReportingRunSummary> = {}): ReportingRunSummary {
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
