import { randomUUID } from 'node:crypto';
import { ageHours, lastClosedHour } from '#shared/domain/reporting/report-schedule.ts';
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
 * message per shard for the workers (`reportUsageShard`). Every shard is queued, even an empty-looking one: the index
 * is eventually consistent, and a worker finding nothing costs one query.
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
  const runId = randomUUID();
  const startedAt = now.toISOString();
  await deps.runs.startRun({
    runId,
    startedAt: now,
    trigger,
    lastHour: lastHour.toISOString(),
    shards: heads.map((head) => ({
      shard: head.shard,
      backlog: head.entries,
      ...(head.oldestHour ? { oldestHour: head.oldestHour } : {}),
    })),
  });
  const work: ShardWork[] = Array.from({ length: deps.ledger.shardCount }, (_, shard) => ({
    runId,
    runStartedAt: startedAt,
    shard,
    invocation: 1,
  }));
  await deps.queue.send(work);
  const oldest = heads
    .map((head) => head.oldestHour)
    .filter((hour) => hour !== undefined)
    .sort()[0];
  const dispatched: DispatchedRun = {
    runId,
    startedAt,
    lastHour: lastHour.toISOString(),
    shards: work.length,
    backlog: heads.reduce((sum, head) => sum + head.entries, 0),
    ...(oldest ? { oldestUnreportedHour: oldest } : {}),
    oldestUnreportedAgeHours: oldest ? ageHours(new Date(oldest), now) : 0,
  };
  deps.logger?.info('Usage report run dispatched', { ...dispatched, trigger });
  return dispatched;
}
