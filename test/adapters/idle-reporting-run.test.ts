/**
 * What an idle scheduled reporting run does to DynamoDB and SQS, measured against DynamoDB Local with the benchmarks'
 * operation counter (test/bench/bench-support.ts): the request units `IDLE_RUN_ASSUMPTIONS` prices in docs/cost.md
 * are the ones the dispatcher and its worker make on an empty table, and the fan-out the cost model assumes is the one
 * the dispatcher queues.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULES, watchedSchedules } from '#infra/functions.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoReportingRuns } from '#shared/adapters/dynamodb/dynamo-reporting-runs.ts';
import { DynamoCanaryStreak, DynamoScheduleRuns } from '#shared/adapters/dynamodb/dynamo-schedule-runs.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { type DispatchUsageReportDeps, dispatchUsageReport } from '#shared/use-cases/metering/dispatch-usage-report.ts';
import type { ShardWork, ShardWorkQueue } from '#shared/use-cases/metering/ports/reporting-runs.ts';
import { type ReportUsageShardDeps, reportUsageShard } from '#shared/use-cases/metering/report-usage-shard.ts';
import { checkSchedules } from '#shared/use-cases/operations/check-schedules.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { countsOf, inPhase, instrumentAws } from '#test/bench/bench-support.ts';
import { IDLE_COST_OPTIONS, IDLE_RUN_ASSUMPTIONS } from '#test/bench/idle-cost.ts';
import { aMeteringCatalog, RecordingMeteringAlerts } from '#test/builders/reporting.ts';
import { FakeMeteringMarketplace } from '#test/helpers/fake-metering-marketplace.ts';
import { localClients, localEndpoints, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/** Records what was queued; the test hands the messages to the worker itself (the SQS side is priced apart). */
class RecordingQueue implements ShardWorkQueue {
  readonly queued: ShardWork[] = [];
  async send(work: readonly ShardWork[]): Promise<void> {
    this.queued.push(...work);
  }
}

describe('an idle scheduled reporting run against DynamoDB Local', () => {
  const { documentClient } = localClients();
  let deps: ReportUsageShardDeps & DispatchUsageReportDeps;
  let queue: RecordingQueue;
  let table: string;
  let scheduleRuns: DynamoScheduleRuns;
  const watched = watchedSchedules(SCHEDULES);

  beforeAll(async () => {
    // An empty table of its own: nothing unreported, no run before.
    table = (await provisionIsolatedResources())[MAIN_TABLE.envVar] ?? '';
    // The counter's own sizing reads go to the endpoint the handlers' environment names.
    process.env.AWS_ENDPOINT_URL_DYNAMODB = localEndpoints().dynamodb;
    instrumentAws();
    queue = new RecordingQueue();
    const runs = new DynamoReportingRuns(documentClient, table);
    deps = {
      ledger: new DynamoReportingLedger(documentClient, table, systemClock),
      subscriptions: new DynamoSubscriptionStore(documentClient, table),
      catalog: aMeteringCatalog(),
      marketplace: new FakeMeteringMarketplace(systemClock),
      alerts: new RecordingMeteringAlerts(),
      clock: systemClock,
      graceMinutes: 10,
      runs,
      leases: runs,
      queue,
      leaseMs: 90_000,
    };
    // The steady state of a deployed system: every watched schedule ran and is expected (their first sight, once).
    scheduleRuns = new DynamoScheduleRuns(documentClient, table);
    for (const schedule of watched) await scheduleRuns.recordRun(schedule.id, systemClock.now());
    await checkSchedules({ runs: scheduleRuns, clock: systemClock, watched });
  });

  it('dispatches to as many workers as the cost model assumes, with the request units it assumes', async () => {
    const [run, schedules] = await inPhase('idle-dispatch', async () => [
      await dispatchUsageReport(deps, 'schedule'),
      // The dispatcher then watches the other schedules (functions/usage-report-dispatcher/handler.ts).
      await checkSchedules({ runs: scheduleRuns, clock: systemClock, watched }),
    ]);

    expect(run).toMatchObject({ backlog: 0, shards: IDLE_COST_OPTIONS.workersPerIdleDispatch });
    expect(queue.queued).toHaveLength(IDLE_COST_OPTIONS.workersPerIdleDispatch);
    const dispatch = countsOf('idle-dispatch');
    // One query per shard (the oldest entry; no count of an empty shard), the run and its one shard in one batch; one
    // query of the schedules' runs, which writes nothing once every schedule is expected.
    expect(schedules).toEqual({ overdue: [], startWatching: [], stopWatching: [] });
    expect(dispatch.byCommand).toEqual({ Query: 9, BatchWriteItem: 1 });
    expect({ readUnits: dispatch.readRequestUnits, writeUnits: dispatch.writeRequestUnits }).toEqual({
      readUnits: IDLE_RUN_ASSUMPTIONS.UsageReportDispatcher?.readUnits,
      writeUnits: IDLE_RUN_ASSUMPTIONS.UsageReportDispatcher?.writeUnits,
    });
  });

  it('has its worker find nothing, finish the run, and use the request units the cost model assumes', async () => {
    const [work] = queue.queued;

    const report = await inPhase('idle-worker', () => reportUsageShard(deps, work as ShardWork));

    expect(report).toMatchObject({ state: 'finished', counts: { sent: 0, rated: 0, errors: 0 } });
    const worker = countsOf('idle-worker');
    // Lease taken and given back, the shard marked running then finished; its shard's index and the run read.
    expect(worker.byCommand).toEqual({ PutItem: 1, UpdateItem: 2, DeleteItem: 1, Query: 2 });
    expect({ readUnits: worker.readRequestUnits, writeUnits: worker.writeRequestUnits }).toEqual({
      readUnits: IDLE_RUN_ASSUMPTIONS.UsageReporter?.readUnits,
      writeUnits: IDLE_RUN_ASSUMPTIONS.UsageReporter?.writeUnits,
    });
    const recorded = await deps.runs.readRun(work as ShardWork);
    expect(recorded?.finishedAt).toBeDefined();
  });

  it('has every other scheduled run note its start, and the canary read its streak, with the units the cost model assumes', async () => {
    const notes = await inPhase('idle-run-note', () => scheduleRuns.recordRun('AlertChecks', systemClock.now()));
    const streak = await inPhase('idle-canary-streak', () => new DynamoCanaryStreak(documentClient, table).read());

    expect(notes).toBeUndefined();
    expect(streak).toBeUndefined();
    expect(countsOf('idle-run-note').byCommand).toEqual({ UpdateItem: 1 });
    for (const id of ['AlertChecks', 'SubscriptionSync', 'UsageReconciler', 'EntraCanary']) {
      // A run of a scheduled function that writes nothing else when idle: its note is its whole write.
      expect(IDLE_RUN_ASSUMPTIONS[id]?.writeUnits, id).toBe(countsOf('idle-run-note').writeRequestUnits);
    }
    expect(countsOf('idle-canary-streak').byCommand).toEqual({ GetItem: 1 });
    expect(IDLE_RUN_ASSUMPTIONS.EntraCanary?.readUnits).toBe(countsOf('idle-canary-streak').readRequestUnits);
  });
});
