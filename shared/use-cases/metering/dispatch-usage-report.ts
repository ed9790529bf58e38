import { randomUUID } from 'node:crypto';
import { ageHours, lastClosedHour } from '#shared/domain/reporting/report-schedule.ts';
import { HOUR_MS } from '#shared/domain/terms.ts';
import type { ReportingLedger } from '#shared/use-cases/metering/ports/reporting-ledger.ts';
import type {
  ReportingRunLog,
  RunTrigger,
  ShardWork,
  ShardWorkQueue,
} from '#shared/use-cases/metering/ports/reporting-runs.ts';
import type { ReportingLogger } from '#shared/use-cases/metering/report-usage.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

export interface DispatchUsageReportDeps {
  readonly ledger: Pick<ReportingLedger, 'shardCount' | 'unreportedHeads'>;
  readonly runs: Pick<ReportingRunLog, 'startRun'>;
  readonly queue: ShardWorkQueue;
  readonly clock: Clock;
  /** Minutes after an hour closes before it is reported (`USAGE_REPORT_GRACE_MINUTES`). */
  readonly graceMinutes: number;
  readonly logger?: ReportingLogger;
}

export interface DispatchedRun {
  readonly runId: string;
  readonly startedAt: string;
  readonly lastHour: string;
  readonly shards: number;
  /** Index entries waiting at dispatch, all shards. */
  readonly backlog: number;
  /** The oldest unreported hour across shards (ISO), and its age; absent / 0 when nothing waits. */
  readonly oldestUnreportedHour?: string;
  readonly oldestUnreportedAgeHours: number;
}

/**
 * Starts a reporting run fanned out by shard (docs/reporting.md "Fan-out"): reads the head of each shard of the
 * unreported index (how many entries wait, and since when), records the run and its shards as queued, then queues one
 * message per shard for the workers (`reportUsageShard`). While anything waits in any shard, every shard is queued,
 * even an empty-looking one: the index is eventually consistent, and a worker finding nothing costs one query and
 * its bookkeeping (a lease, its shard record).
 *
 * A scheduled run that finds every shard empty (an idle system, most runs) records and queues one shard only, the
 * hour's (`idleProbeShard`): the workers still run every 10 minutes, which is what `UsageReporterNotRunningAlarm`
 * watches (a stopped schedule, dispatcher or trigger), while an idle run writes 2 run items and one worker's 4 instead
 * of 9 and eight workers' 32 (docs/cost.md). Nothing is given up: what is unreported is all in the index (pending
 * submissions and carry included), an entry the dispatcher's eventually consistent read missed by a moment is found
 * by the next run 10 minutes later, as one written just after the run is, and every write that decides a slot is the
 * workers', as before. A manual run (`npm run report`) queues every shard whatever the index shows.
 *
 * The run record is written before the messages so a worker always finds its run; a dispatch that fails after it
 * leaves a run that never finishes (visible in `GET /v1/reporting/runs`), and the next schedule dispatches again.
 * @throws Error when the index cannot be read, the run cannot be recorded or a message cannot be queued.
 */
export async function dispatchUsageReport(
  deps: DispatchUsageReportDeps,
  trigger: RunTrigger = 'schedule',
): Promise<DispatchedRun> {
  const now = deps.clock.now();
  const lastHour = lastClosedHour(now, deps.graceMinutes);
  const heads = await deps.ledger.unreportedHeads(lastHour);
  const idle = trigger === 'schedule' && heads.every((head) => head.entries === 0 && head.oldestHour === undefined);
  const probe = idleProbeShard(now, deps.ledger.shardCount);
  const dispatched = idle ? heads.filter((head) => head.shard === probe) : heads;
  const runId = randomUUID();
  const startedAt = now.toISOString();
  await deps.runs.startRun({
    runId,
    startedAt: now,
    trigger,
    lastHour: lastHour.toISOString(),
    shards: dispatched.map((head) => ({
      shard: head.shard,
      backlog: head.entries,
      ...(head.oldestHour ? { oldestHour: head.oldestHour } : {}),
    })),
  });
  const shards = idle ? [probe] : Array.from({ length: deps.ledger.shardCount }, (_, shard) => shard);
  const work: ShardWork[] = shards.map((shard) => ({ runId, runStartedAt: startedAt, shard, invocation: 1 }));
  await deps.queue.send(work);
  const oldest = heads
    .map((head) => head.oldestHour)
    .filter((hour) => hour !== undefined)
    .sort()[0];
  const run: DispatchedRun = {
    runId,
    startedAt,
    lastHour: lastHour.toISOString(),
    shards: work.length,
    backlog: heads.reduce((sum, head) => sum + head.entries, 0),
    ...(oldest ? { oldestUnreportedHour: oldest } : {}),
    oldestUnreportedAgeHours: oldest ? ageHours(new Date(oldest), now) : 0,
  };
  deps.logger?.info('Usage report run dispatched', { ...run, trigger, idle });
  return run;
}

/**
 * The one shard an idle scheduled run queues: the hour's, so that within 8 hours a worker has read every shard of the
 * index itself too, rather than always the same one.
 */
export function idleProbeShard(now: Date, shardCount: number): number {
  return Math.floor(now.getTime() / HOUR_MS) % shardCount;
}
