import { randomUUID } from 'node:crypto';
import { lastClosedHour } from '#shared/domain/reporting/report-schedule.ts';
import type {
  ReportingRunLog,
  ShardCounts,
  ShardLeases,
  ShardWork,
  ShardWorkQueue,
} from '#shared/use-cases/metering/ports/reporting-runs.ts';
import {
  type ReportingRunSummary,
  type ReportUsageDeps,
  runReporting,
} from '#shared/use-cases/metering/report-usage.ts';

export interface ReportUsageShardDeps extends ReportUsageDeps {
  readonly runs: Pick<ReportingRunLog, 'shardStarted' | 'shardReported' | 'readRun'>;
  readonly leases: ShardLeases;
  readonly queue: ShardWorkQueue;
  /**
   * How long a worker holds its shard without releasing it (a crash): longer than the function's timeout, so a live
   * worker never loses its lease, short enough that a crashed one holds the shard back only briefly.
   */
  readonly leaseMs: number;
}

export interface ShardReport {
  readonly work: ShardWork;
  /** `busy`: another worker holds the shard (nothing done); `continued`: out of time, the shard was queued again. */
  readonly state: 'finished' | 'continued' | 'busy';
  readonly counts: ShardCounts;
  readonly summary?: ReportingRunSummary;
}

const NO_COUNTS: ShardCounts = {
  sent: 0,
  accepted: 0,
  duplicate: 0,
  folded: 0,
  unreportable: 0,
  errors: 0,
  rated: 0,
  calls: 0,
};

/**
 * One shard of a fanned-out run (a worker's invocation): takes the shard's lease, reports the shard's closed hours
 * until `stopAt` (`runReporting` with the shard scope), records the invocation on the shard's run record, releases the
 * lease and, when groups were left for lack of time, queues the shard again (same run, next invocation).
 *
 * Exactly once across overlapping and crashed workers: the lease keeps a second worker off a shard while the first
 * lives (it answers `busy`); past the lease (a crash), the conditional writes of the ledger still let only one writer
 * rate a slot, and a submission written ahead is resent unchanged, which Microsoft answers `Duplicate`.
 * @throws Error when the index cannot be read, the record cannot be written or a continuation cannot be queued (the
 *   message is retried: doing a shard again is safe).
 */
export async function reportUsageShard(
  deps: ReportUsageShardDeps,
  work: ShardWork,
  stopAt?: Date,
): Promise<ShardReport> {
  const startedAt = deps.clock.now();
  const owner = randomUUID();
  if (!(await deps.leases.acquire(work.shard, owner, new Date(startedAt.getTime() + deps.leaseMs), startedAt))) {
    await deps.runs.shardReported({ work, startedAt, finishedAt: deps.clock.now(), state: 'busy', counts: NO_COUNTS });
    deps.logger?.info('Usage report shard skipped: another worker holds it', { ...work });
    return { work, state: 'busy', counts: NO_COUNTS };
  }
  let summary: ReportingRunSummary;
  try {
    await deps.runs.shardStarted(work, startedAt);
    summary = await runReporting(deps, {
      lastHour: lastClosedHour(startedAt, deps.graceMinutes),
      shard: work.shard,
      ...(stopAt ? { stopAt } : {}),
    });
  } finally {
    await deps.leases.release(work.shard, owner);
  }
  const state = summary.remainingGroups > 0 ? 'continued' : 'finished';
  const counts = countsOf(summary);
  await deps.runs.shardReported({
    work,
    startedAt,
    finishedAt: deps.clock.now(),
    state,
    counts,
    ...(summary.oldestUnreportedHour ? { oldestUnreportedHour: summary.oldestUnreportedHour } : {}),
  });
  if (state === 'continued') await deps.queue.send([{ ...work, invocation: work.invocation + 1 }]);
  deps.logger?.info('Usage report shard invocation finished', { ...work, state, ...counts, summary });
  if (state === 'finished') await logRunIfFinished(deps, work);
  return { work, state, counts, summary };
}

/**
 * The run's own log line, written by the worker that finished its last shard (two finishing at once may both write
 * it). A failure to read the record only loses the line: the record itself is complete.
 */
async function logRunIfFinished(deps: ReportUsageShardDeps, work: ShardWork): Promise<void> {
  try {
    const run = await deps.runs.readRun(work);
    if (!run?.finishedAt) return;
    const { shards, ...summary } = run;
    deps.logger?.info('Usage report run finished', {
      ...summary,
      longestInvocationMs: Math.max(0, ...shards.map((shard) => shard.longestInvocationMs)),
      invocations: shards.reduce((sum, shard) => sum + shard.invocations, 0),
    });
  } catch (error) {
    deps.logger?.warn('Usage report run record not readable for its log line', { ...work, error: String(error) });
  }
}

/** The run record's counts of one invocation (docs/reporting.md "Run records" says what each one holds). */
export function countsOf(summary: ReportingRunSummary): ShardCounts {
  const { answers } = summary;
  return {
    sent: summary.eventsSent,
    accepted: answers.accepted - summary.duplicateAnswers,
    duplicate: summary.duplicateAnswers + answers.duplicateMismatch,
    folded: summary.lateFolds + summary.slotsFoldedOutsideWindow + answers.expiredFolded,
    unreportable: summary.unreportableSlots + answers.unreportable + summary.carryUnreportable,
    errors: summary.failedGroups + summary.blockedGroups + answers.retry + answers.rejected + answers.duplicateMismatch,
    rated: summary.slotsRated,
    calls: summary.meteringCalls,
  };
}
