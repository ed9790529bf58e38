import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAuditLog } from '#shared/adapters/dynamodb/dynamo-audit-log.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoReportingRuns } from '#shared/adapters/dynamodb/dynamo-reporting-runs.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import { unreportedShardOf } from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { AuditingMarketplace } from '#shared/adapters/marketplace/auditing-marketplace.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { type DispatchUsageReportDeps, dispatchUsageReport } from '#shared/use-cases/metering/dispatch-usage-report.ts';
import type { ShardWork, ShardWorkQueue } from '#shared/use-cases/metering/ports/reporting-runs.ts';
import { type ReportUsageShardDeps, reportUsageShard } from '#shared/use-cases/metering/report-usage-shard.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { Marketplace, UsageEvent } from '#shared/use-cases/ports/marketplace.ts';
import { aMeteringCatalog, OFFER, RecordingMeteringAlerts } from '#test/builders/reporting.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { emulatorMarketplace, quietLogger } from '#test/helpers/emulator-client.ts';
import { subscriptionFromEmulator } from '#test/helpers/emulator-subscription.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/**
 * ACCEPTANCE (issue 12 item 4, "nothing sent twice when shards overlap or workers crash"): the fanned-out reporter
 * (dispatcher + shard workers) against DynamoDB Local and the marketplace emulator, with every shard worked by two
 * workers at once, then a worker that dies after its batch call went through while holding its shard.
 */
const START = new Date('2026-03-02T08:00:00.000Z');
const H09 = '2026-03-02T09:00:00.000Z';
const H10 = '2026-03-02T10:00:00.000Z';
const SUBSCRIPTIONS = 60;
const LEASE_MS = 90_000;

/** Records what was queued; the test hands the messages to workers itself. */
class RecordingQueue implements ShardWorkQueue {
  readonly queued: ShardWork[] = [];
  async send(work: readonly ShardWork[]): Promise<void> {
    this.queued.push(...work);
  }
}

describe('the fanned-out usage reporter', () => {
  const { documentClient } = localClients();
  const catalog = aMeteringCatalog();
  let emulator: MarketplaceEmulator;
  let table: string;
  let ids: string[];
  const sent: UsageEvent[] = [];
  const clock: Clock = { now: () => emulator.control.now() };

  beforeAll(async () => {
    table = (await provisionIsolatedResources())[MAIN_TABLE.envVar] ?? '';
    emulator = await startMarketplaceEmulator({ catalog, clock: 'manual', startTime: START, verifyTokenExpiry: false });
    ids = emulator.control.seedSubscribed({ offerId: OFFER, planId: 'small', count: SUBSCRIPTIONS });
    const store = new DynamoSubscriptionStore(documentClient, table);
    for (const id of ids) await store.put(subscriptionFromEmulator(emulator.control, id, 'tenant-fan-out'));
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  /** 25 api-calls in `hour` for every subscription: 15 over the 10 included of `small` in the first hour. */
  async function useEverySubscription(hour: string): Promise<void> {
    const ledger = new DynamoUsageLedger(documentClient, table, clock);
    for (const subscriptionId of ids) {
      await applyUsageMessage(
        { ledger: ledger },
        aUsageMessage({
          slots: [aSlot({ subscriptionId, offerId: OFFER, dimension: 'api-calls', hour, quantity: '25' })],
        }),
      );
    }
  }

  /** A worker's dependencies; `crash` makes its marketplace never return after a call went through (a dead worker). */
  function workerDeps(queue: ShardWorkQueue, crash = false): ReportUsageShardDeps & DispatchUsageReportDeps {
    const http = emulatorMarketplace(emulator, {
      retry: { maxAttempts: 2, totalBudgetMs: 5_000, baseDelayMs: 5, maxDelayMs: 40, attemptTimeoutMs: 3_000 },
    });
    const recording: Pick<Marketplace, 'postBatchUsageEvents'> = {
      postBatchUsageEvents: async (events, options) => {
        sent.push(...events);
        const answer = await http.postBatchUsageEvents(events, options);
        return crash ? new Promise<never>(() => undefined) : answer;
      },
    };
    const runs = new DynamoReportingRuns(documentClient, table);
    return {
      ledger: new DynamoReportingLedger(documentClient, table, clock),
      subscriptions: new DynamoSubscriptionStore(documentClient, table),
      catalog,
      marketplace: new AuditingMarketplace(
        recording as Marketplace,
        new DynamoAuditLog(documentClient, table),
        clock,
        quietLogger,
      ),
      alerts: new RecordingMeteringAlerts(),
      clock,
      graceMinutes: 10,
      runs,
      leases: runs,
      queue,
      leaseMs: LEASE_MS,
    };
  }

  it('sends each slot once when two workers take every shard at the same time, and records the run', async () => {
    await useEverySubscription(H09);
    await emulator.control.setTime('2026-03-02T10:10:00.000Z');
    const queue = new RecordingQueue();
    const deps = workerDeps(queue);
    sent.length = 0;

    const run = await dispatchUsageReport(deps, 'manual');
    const work = queue.queued.splice(0);
    const reports = await Promise.all(
      work.flatMap((shard) => [reportUsageShard(deps, shard), reportUsageShard(deps, shard)]),
    );

    expect(run).toMatchObject({ shards: 8, backlog: SUBSCRIPTIONS, oldestUnreportedHour: H09 });
    expect(work.map((shard) => shard.shard)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Every slot sent once, none twice, and Microsoft holds exactly one event per subscription.
    expect(sent).toHaveLength(SUBSCRIPTIONS);
    expect(new Set(sent.map((event) => event.resourceId)).size).toBe(SUBSCRIPTIONS);
    expect(emulator.control.usageLedger().filter((event) => event.effectiveStartTime === H09)).toHaveLength(
      SUBSCRIPTIONS,
    );
    expect(reports.filter((report) => report.state === 'finished').length).toBeGreaterThanOrEqual(8);
    expect(queue.queued).toEqual([]);
    const { runs } = await new DynamoReportingRuns(documentClient, table).listRuns({ limit: 5 });
    expect(runs[0]).toMatchObject({
      runId: run.runId,
      trigger: 'manual',
      backlog: SUBSCRIPTIONS,
      counts: { sent: SUBSCRIPTIONS, accepted: SUBSCRIPTIONS, duplicate: 0, errors: 0, rated: SUBSCRIPTIONS },
    });
    expect(runs[0]?.finishedAt).toBeDefined();
    expect(runs[0]?.shards.map((shard) => shard.state)).toEqual(Array(8).fill('finished'));
    expect(
      await new DynamoReportingRuns(documentClient, table).readRun({ runId: run.runId, runStartedAt: run.startedAt }),
    ).toEqual(runs[0]);
    // Each subscription's trail shows the metering call that carried its event.
    const trail = await new DynamoAuditLog(documentClient, table).list(ids[0] as string);
    expect(trail.entries).toContainEqual(
      expect.objectContaining({ kind: 'marketplaceCall', what: expect.stringMatching(/^postBatchUsageEvents/) }),
    );
  });

  it('resends what a crashed worker wrote ahead only after its lease expired, and Microsoft bills it once', async () => {
    await useEverySubscription(H10);
    await emulator.control.setTime('2026-03-02T11:10:00.000Z');
    const queue = new RecordingQueue();
    const healthy = workerDeps(queue);
    await dispatchUsageReport(healthy);
    const work = queue.queued.splice(0);
    const shard = work.find((item) => ids.some((id) => unreportedShardOf(id) === item.shard)) as ShardWork;
    const inShard = ids.filter((id) => unreportedShardOf(id) === shard.shard);
    sent.length = 0;

    // The worker dies after its batch calls went through: its shard stays leased, its slots pending.
    void reportUsageShard(workerDeps(queue, true), shard);
    await waitUntil(() => sent.length === inShard.length);
    const whileLeased = await reportUsageShard(healthy, shard);
    await emulator.control.advance(LEASE_MS + 1_000);
    const afterLease = await reportUsageShard(healthy, shard);

    expect(whileLeased.state).toBe('busy');
    expect(afterLease.state).toBe('finished');
    // The same events went out a second time, unchanged; Microsoft answered Duplicate and billed each hour once.
    expect(sent).toHaveLength(2 * inShard.length);
    expect(afterLease.counts).toMatchObject({ sent: inShard.length, duplicate: inShard.length, accepted: 0 });
    const billed = emulator.control.usageLedger().filter((event) => event.effectiveStartTime === H10);
    expect(billed.filter((event) => inShard.includes(event.resourceId))).toHaveLength(inShard.length);
    expect(new Set(billed.map((event) => `${event.resourceId}`)).size).toBe(billed.length);
  });
});

/** Polls until `done` holds (the crashed worker's calls are in flight in the background). */
async function waitUntil(done: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !done(); attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!done()) throw new Error('the crashed worker never sent its events');
}
