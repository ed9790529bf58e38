import { lastFlushHour } from '#shared/domain/reporting/report-schedule.ts';
import {
  type ReportingRunSummary,
  type ReportUsageDeps,
  runReporting,
} from '#shared/use-cases/metering/report-usage.ts';

export interface FlushSubscriptionUsageInput {
  readonly subscriptionId: string;
  /** The cancellation instant (the Unsubscribe operation's time). */
  readonly until: Date;
}

/**
 * Reports everything of one subscription up to its cancellation at once, without waiting for the grace after the
 * hour closes: Microsoft accepts usage of hours before the cancellation time within the 24 h window (reference
 * §4.3 "Status"), and a cancelled subscription gets no later hour to fold anything into. The hour containing
 * `until` is reported too (it was Subscribed for part of its length). Called by the fulfillment webhook on Unsubscribe.
 *
 * Usage of those hours that arrives after the flush (still in the queue at that moment) is late for a rated hour and
 * has no later Subscribed hour to go to: it is recorded as unreportable carry and alarmed (`carryUnreportable`).
 * Safe to call concurrently with the scheduled report and more than once: every write is conditional.
 * @throws Error when the unreported index cannot be read (the scheduled report still covers these hours later).
 */
export function flushSubscriptionUsage(
  deps: ReportUsageDeps,
  input: FlushSubscriptionUsageInput,
): Promise<ReportingRunSummary> {
  return runReporting(deps, {
    lastHour: lastFlushHour(input.until, deps.clock.now()),
    subscriptionId: input.subscriptionId,
  });
}
