import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { unreportedShardOf } from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { dispatchUsageReport, idleProbeShard } from '#shared/use-cases/metering/dispatch-usage-report.ts';
import type {
  ReportingRunLog,
  ReportingRunRecord,
  ShardInvocationReport,
  ShardLeases,
  ShardWork,
} from '#shared/use-cases/metering/ports/reporting-runs.ts';
import {
  countsOf,
  type ReportUsageShardDeps,
  reportUsageShard,
} from '#shared/use-cases/metering/report-usage-shard.ts';
import { aMeteredSubscription, aMeteringCatalog, RecordingMeteringAlerts } from '#test/builders/reporting.ts';
import { FakeMeteringMarketplace } from '#test/helpers/fake-metering-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryReportingLedger } from '#test/helpers/in-memory-reporting-ledger.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';
import { idleRun } from '#test/helpers/metrics-recorder.ts';

const H09 = '2026-01-15T09:00:00.000Z';
const AFTER_H09 = '2026-01-15T10:10:00.000Z';

/** Run records and leases in memory, with the DynamoDB adapter's lease rule (free, expired or one's own). */
class InMemoryRuns
  implements Pick<ReportingRunLog, 'startRun' | 'shardStarted' | 'shardReported' | 'readRun'>, ShardLeases
{
  readonly reports: ShardInvocationReport[] = [];
  /** What `readRun` answers (the run as the record would show it). */
  run: ReportingRunRecord | undefined;
  async readRun() {
    return this.run;
  }
  readonly started: ShardWork[] = [];
  readonly runs: unknown[] = [];
  private readonly leases = new Map<number, { owner: string; until: number }>();
  async startRun(run: unknown) {
    this.runs.push(run);
  }
  async shardStarted(work: ShardWork) {
    this.started.push(work);
  }
  async shardReported(report: ShardInvocationReport) {
    this.reports.push(report);
  }
  async acquire(shard: number, owner: string, until: Date, now: Date) {
    const held = this.leases.get(shard);
    if (held && held.until >= now.getTime() && held.owner !== owner) return false;
    this.leases.set(shard, { owner, until: until.getTime() });
    return true;
  }
  async release(shard: number, owner: string) {
    if (this.leases.get(shard)?.owner === owner) this.leases.delete(shard);
  }
}

describe('one shard of a fanned-out reporting run', () => {
  let clock: FixedClock;
  let ledger: InMemoryReportingLedger;
  let subscriptions: InMemorySubscriptionStore;
  let marketplace: FakeMeteringMarketplace;
  let runs: InMemoryRuns;
  let queued: ShardWork[];
  let deps: ReportUsageShardDeps;

  beforeEach(() => {
    clock = new FixedClock(AFTER_H09);
    ledger = new InMemoryReportingLedger();
    subscriptions = new InMemorySubscriptionStore();
    marketplace = new FakeMeteringMarketplace(clock);
    runs = new InMemoryRuns();
    queued = [];
    deps = {
      ledger,
      subscriptions,
      catalog: aMeteringCatalog(),
      marketplace,
      alerts: new RecordingMeteringAlerts(),
      clock,
      graceMinutes: 10,
      runs,
      leases: runs,
      queue: { send: async (work) => void queued.push(...work) },
      leaseMs: 90_000,
    };
  });

  /** `count` subscriptions whose slots all index into `shard`, each with 25 api-calls (15 over) in 09:00. */
  async function useInShard(shard: number, count: number): Promise<string[]> {
    const ids: string[] = [];
    while (ids.length < count) {
      const id = randomUUID();
      if (unreportedShardOf(id) !== shard) continue;
      ids.push(id);
      await subscriptions.put(aMeteredSubscription({ id }));
      ledger.addUsage(id, 'api-calls', H09, '25');
    }
    return ids;
  }

  it('dispatches one message per shard with the backlog and oldest hour of each', async () => {
    await useInShard(3, 2);

    const run = await dispatchUsageReport({ ...deps, runs }, 'schedule');

    expect(queued.map((work) => [work.shard, work.invocation])).toEqual(
      Array.from({ length: 8 }, (_, shard) => [shard, 1]),
    );
    expect(queued.every((work) => work.runId === run.runId && work.runStartedAt === AFTER_H09)).toBe(true);
    expect(run).toMatchObject({ backlog: 2, oldestUnreportedHour: H09, lastHour: H09 });
    expect(runs.runs).toEqual([
      expect.objectContaining({
        runId: run.runId,
        trigger: 'schedule',
        shards: expect.arrayContaining([
          { shard: 3, backlog: 2, oldestHour: H09 },
          { shard: 0, backlog: 0 },
        ]),
      }),
    ]);
  });

  it('queues only the hour’s shard when every shard is empty on a schedule, and records that one shard', async () => {
    const run = await dispatchUsageReport({ ...deps, runs }, 'schedule');

    // 2026-01-15T10:10Z is in hour 491,242 since the epoch: 491,242 mod 8 = 2.
    const probe = idleProbeShard(clock.now(), 8);
    expect(probe).toBe(2);
    expect(queued).toEqual([{ runId: run.runId, runStartedAt: AFTER_H09, shard: probe, invocation: 1 }]);
    expect(run).toMatchObject({ shards: 1, backlog: 0, oldestUnreportedAgeHours: 0 });
    expect(runs.runs).toEqual([
      expect.objectContaining({ trigger: 'schedule', shards: [{ shard: probe, backlog: 0 }] }),
    ]);
  });

  it('moves the idle run’s one shard on each hour, through every shard within 8 hours', () => {
    const shards = Array.from({ length: 8 }, (_, hour) =>
      idleProbeShard(new Date(new Date(AFTER_H09).getTime() + hour * 3_600_000), 8),
    );
    expect([...shards].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('queues every shard of a manual run even when every shard is empty', async () => {
    const run = await dispatchUsageReport({ ...deps, runs }, 'manual');

    expect(queued.map((work) => work.shard)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(run.shards).toBe(8);
  });

  it('queues every shard on a schedule while an event left pending by a failed call waits to be resent', async () => {
    const [id] = await useInShard(6, 1);
    marketplace.failCalls(10);
    await reportUsageShard(deps, { runId: 'r', runStartedAt: AFTER_H09, shard: 6, invocation: 1 });
    expect(ledger.slot(id as string, 'api-calls', H09)?.submission?.state).toBe('pending');
    queued.length = 0;

    const run = await dispatchUsageReport({ ...deps, runs }, 'schedule');

    expect(queued.map((work) => work.shard)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(run).toMatchObject({ shards: 8, backlog: 1, oldestUnreportedHour: H09 });
  });

  it('reports only its own shard', async () => {
    const mine = await useInShard(2, 3);
    await useInShard(5, 3);

    const report = await reportUsageShard(deps, { runId: 'r', runStartedAt: AFTER_H09, shard: 2, invocation: 1 });

    expect(report.state).toBe('finished');
    expect(marketplace.sent.map((event) => event.resourceId).sort()).toEqual([...mine].sort());
    expect(runs.reports).toEqual([
      expect.objectContaining({
        state: 'finished',
        counts: { sent: 3, accepted: 3, duplicate: 0, folded: 0, unreportable: 0, errors: 0, rated: 3, calls: 1 },
        oldestUnreportedHour: H09,
      }),
    ]);
  });

  it('out of time, starts no further group, queues its shard again as the next invocation, which finishes it', async () => {
    await useInShard(1, 450);
    const work: ShardWork = { runId: 'r', runStartedAt: AFTER_H09, shard: 1, invocation: 1 };

    // The time budget is already spent: one group is still reported, so every invocation makes progress.
    const first = await reportUsageShard(deps, work, clock.now());
    const second = await reportUsageShard(deps, queued[0] as ShardWork);

    expect(first.state).toBe('continued');
    expect(first.counts.sent).toBe(1);
    expect(first.summary?.remainingGroups).toBe(449);
    expect(queued).toEqual([{ ...work, invocation: 2 }]);
    expect(second.state).toBe('finished');
    expect(second.counts.sent).toBe(449);
    expect(new Set(marketplace.sent.map((event) => event.resourceId)).size).toBe(450);
    expect(marketplace.sent).toHaveLength(450);
  });

  it('never has more than one message per shard of a run waiting or running, continuations included', async () => {
    // The bound that lets the UsageReport trigger go without a maximum concurrency (infra/functions.ts).
    for (let shard = 0; shard < 8; shard++) await useInShard(shard, 3);
    await dispatchUsageReport({ ...deps, runs }, 'manual');
    let invocations = 0;
    expect(queued).toHaveLength(8);

    while (queued.length > 0) {
      const work = queued.shift() as ShardWork;
      // Waiting and running together: one message per shard at most.
      expect(new Set([work.shard, ...queued.map((next) => next.shard)]).size).toBe(queued.length + 1);
      const before = queued.length;
      // Every invocation out of time at once: one group each, then its shard queued again.
      await reportUsageShard(deps, work, clock.now());
      invocations += 1;
      expect(queued.slice(before).map((next) => next.shard)).toEqual(queued.length > before ? [work.shard] : []);
    }

    expect(invocations).toBe(24);
    expect(marketplace.sent).toHaveLength(24);
  });

  it('queues nothing from a worker that finds its shard leased', async () => {
    await useInShard(4, 1);
    await runs.acquire(4, 'another worker', new Date(clock.now().getTime() + 90_000), clock.now());

    const report = await reportUsageShard(deps, { runId: 'r', runStartedAt: AFTER_H09, shard: 4, invocation: 1 });

    expect(report.state).toBe('busy');
    expect(queued).toEqual([]);
  });

  it('logs the run with its summary when its last shard finishes, and only then', async () => {
    await useInShard(6, 1);
    const lines: [string, Record<string, unknown>][] = [];
    const logger = { info: (m: string, a = {}) => lines.push([m, a]), warn: () => undefined, error: () => undefined };
    const work: ShardWork = { runId: 'r', runStartedAt: AFTER_H09, shard: 6, invocation: 1 };
    const counts = { sent: 1, accepted: 1, duplicate: 0, folded: 0, unreportable: 0, errors: 0, rated: 1, calls: 1 };
    const shard = { shard: 6, state: 'finished' as const, backlog: 1, invocations: 1, longestInvocationMs: 5, counts };
    const run = { runId: 'r', trigger: 'schedule' as const, startedAt: AFTER_H09, lastHour: H09, backlog: 1, counts };
    runs.run = { ...run, shards: [shard, { ...shard, shard: 7, state: 'running', counts: { ...counts, sent: 0 } }] };

    await reportUsageShard({ ...deps, logger }, work);
    runs.run = { ...run, finishedAt: '2026-01-15T10:11:00.000Z', shards: [shard] };
    await reportUsageShard({ ...deps, logger }, work);

    const finished = lines.filter(([message]) => message === 'Usage report run finished');
    expect(finished).toEqual([
      [
        'Usage report run finished',
        expect.objectContaining({ runId: 'r', finishedAt: '2026-01-15T10:11:00.000Z', counts, invocations: 1 }),
      ],
    ]);
  });

  it('does nothing while another worker holds the shard, and says so in the run record', async () => {
    await useInShard(4, 1);
    await runs.acquire(4, 'someone else', new Date(clock.now().getTime() + 60_000), clock.now());

    const report = await reportUsageShard(deps, { runId: 'r', runStartedAt: AFTER_H09, shard: 4, invocation: 1 });

    expect(report.state).toBe('busy');
    expect(marketplace.sent).toEqual([]);
    expect(runs.reports).toEqual([
      expect.objectContaining({ state: 'busy', counts: countsOf(idleRun({ runId: 'r', lastHour: H09 })) }),
    ]);
  });
});
