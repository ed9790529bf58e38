/**
 * What the fanned-out reporter keeps about its runs and how it hands out work: the run records operators read
 * (`GET /v1/reporting/runs`), the per-shard lease that keeps two workers off one shard, and the queue of shard work.
 */

/** The counts a shard's invocations add up (each a sum over the invocations of the shard in one run). */
export interface ShardCounts {
  /** Events sent to the Metering API (resends included). */
  readonly sent: number;
  /** Answered `Accepted`. */
  readonly accepted: number;
  /** Answered `Duplicate` with our quantity (a resend of an event that had gone through) or with another (alarm). */
  readonly duplicate: number;
  /** Late usage folded into the carry, overage folded forward after `Expired` or outside the 24 h window. */
  readonly folded: number;
  /** Usage of hours not Subscribed, `ResourceNotActive`/`NotFound` answers, carry that can never be reported. */
  readonly unreportable: number;
  /** Groups failed or blocked, batch calls unanswered, events rejected or left pending for the next run. */
  readonly errors: number;
  /** Slots rated (each exactly once, whatever came of it). */
  readonly rated: number;
  /** Metering calls made (batch calls of up to 25 events). */
  readonly calls: number;
}

/** One shard's message on the work queue: report this shard of this run. */
export interface ShardWork {
  readonly runId: string;
  /** The run's start (ISO), which orders the run records. */
  readonly runStartedAt: string;
  readonly shard: number;
  /** 1 for the dispatcher's message, then +1 for each continuation after a worker ran out of its time budget. */
  readonly invocation: number;
}

export type RunTrigger = 'schedule' | 'manual';

/** A run as the dispatcher starts it. */
export interface ReportingRunStart {
  readonly runId: string;
  readonly startedAt: Date;
  readonly trigger: RunTrigger;
  /** The last hour the run reports (ISO). */
  readonly lastHour: string;
  /** Per shard, the index entries waiting at dispatch and the oldest hour. */
  readonly shards: readonly { readonly shard: number; readonly backlog: number; readonly oldestHour?: string }[];
}

export type ShardState = 'queued' | 'running' | 'continued' | 'finished' | 'busy';

/** One invocation's account of a shard, added to the shard's record. */
export interface ShardInvocationReport {
  readonly work: ShardWork;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** `continued`: the time budget ran out and the shard was queued again; `busy`: another worker held the lease. */
  readonly state: Exclude<ShardState, 'queued' | 'running'>;
  readonly counts: ShardCounts;
  /** The oldest unreported hour the invocation found in its shard (ISO). */
  readonly oldestUnreportedHour?: string;
}

/** A shard's record as read back. */
export interface ShardRecord {
  readonly shard: number;
  readonly state: ShardState;
  /** Index entries waiting at dispatch. */
  readonly backlog: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly invocations: number;
  readonly longestInvocationMs: number;
  readonly oldestUnreportedHour?: string;
  readonly counts: ShardCounts;
}

/** A run as read back, with its shards and their counts summed. */
export interface ReportingRunRecord {
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly startedAt: string;
  /** When the last shard finished; absent while a shard is still queued, running or continued. */
  readonly finishedAt?: string;
  readonly lastHour: string;
  /** The oldest unreported hour at dispatch (ISO), across shards; absent when nothing waited. */
  readonly oldestUnreportedHour?: string;
  readonly backlog: number;
  readonly counts: ShardCounts;
  readonly shards: readonly ShardRecord[];
}

export interface ReportingRunPage {
  /** Newest first. */
  readonly runs: readonly ReportingRunRecord[];
  readonly nextCursor?: string;
}

/** The run records (kept 30 days). Implemented by `DynamoReportingRuns`. */
export interface ReportingRunLog {
  /** Records a run and its shards as queued. */
  startRun(run: ReportingRunStart): Promise<void>;
  /** Marks a shard running (the first invocation sets `startedAt`). */
  shardStarted(work: ShardWork, at: Date): Promise<void>;
  /** Adds an invocation's counts to its shard and sets its state (and `finishedAt` when `finished`). */
  shardReported(report: ShardInvocationReport): Promise<void>;
  /** One run with its shards (read consistently); undefined when there is no such record. */
  readRun(work: Pick<ShardWork, 'runId' | 'runStartedAt'>): Promise<ReportingRunRecord | undefined>;
  /**
   * Runs newest first.
   * @throws ValidationError for a limit out of range (1–50) or a cursor this log did not issue.
   */
  listRuns(query: { readonly limit?: number; readonly cursor?: string }): Promise<ReportingRunPage>;
}

/**
 * One worker per shard at a time. A lease that its holder does not release (a crash, a timeout) expires at `until`,
 * so a crashed worker holds its shard back by at most the lease time.
 */
export interface ShardLeases {
  /** @returns true when `owner` now holds the shard until `until` (free, expired, or already its own). */
  acquire(shard: number, owner: string, until: Date, now: Date): Promise<boolean>;
  /** Gives the shard back (only if `owner` still holds it). */
  release(shard: number, owner: string): Promise<void>;
}

/** The queue of shard work (a message per shard; a worker consumes one at a time). */
export interface ShardWorkQueue {
  /** @throws Error when a message could not be queued (the caller fails, and is retried). */
  send(work: readonly ShardWork[]): Promise<void>;
}
