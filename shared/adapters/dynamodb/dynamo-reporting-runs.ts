import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor, epochSeconds, type Item } from '#shared/adapters/dynamodb/dynamo-item.ts';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type {
  ReportingRunLog,
  ReportingRunPage,
  ReportingRunRecord,
  ReportingRunStart,
  ShardCounts,
  ShardInvocationReport,
  ShardLeases,
  ShardRecord,
  ShardState,
  ShardWork,
} from '#shared/use-cases/metering/ports/reporting-runs.ts';

const RUNS_PK = TABLE_PARTITION.reportingRuns;
const LEASE_PK = TABLE_PARTITION.reportingLease;
/** Run records are for watching and recent diagnosis; the slots themselves keep what was reported. */
const RETENTION_SECONDS = 30 * 24 * 3600;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 50;
const COUNT_NAMES: readonly (keyof ShardCounts)[] = [
  'sent',
  'accepted',
  'duplicate',
  'folded',
  'unreportable',
  'errors',
  'rated',
  'calls',
];
const STATES: readonly ShardState[] = ['queued', 'running', 'continued', 'finished', 'busy'];

const runSk = (startedAt: string, runId: string) => `RUN#${startedAt}#${runId}`;
const shardSk = (startedAt: string, runId: string, shard: number) =>
  `${runSk(startedAt, runId)}#SHARD#${String(shard).padStart(3, '0')}`;

/**
 * The reporter's run records and shard leases in the main table:
 *
 * - run `pk = REPORTING_RUNS`, `sk = RUN#<startedAt>#<runId>`: trigger, last hour, shard count; each shard beside it at
 *   `sk = RUN#<startedAt>#<runId>#SHARD#<nnn>` with its backlog at dispatch, state, first start, finish, invocations,
 *   longest invocation, oldest unreported hour and the counts (ADDed by each invocation). One partition: a run writes a
 *   handful of items per shard and per 10 minutes, and a newest-first query of it lists runs with their shards
 *   together (in descending order a run's shard items come just before the run item). Kept 30 days (TTL).
 * - lease `pk = REPORTING_LEASE`, `sk = SHARD#<n>`: `owner` and `until` (epoch ms), taken with a conditional put.
 */
export class DynamoReportingRuns implements ReportingRunLog, ShardLeases {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async startRun(run: ReportingRunStart): Promise<void> {
    const startedAt = run.startedAt.toISOString();
    const expiresAt = epochSeconds(run.startedAt) + RETENTION_SECONDS;
    const items: Item[] = [
      {
        pk: RUNS_PK,
        sk: runSk(startedAt, run.runId),
        type: 'ReportingRun',
        runId: run.runId,
        trigger: run.trigger,
        startedAt,
        lastHour: run.lastHour,
        shardCount: run.shards.length,
        [MAIN_TABLE_KEYS.ttlAttribute]: expiresAt,
      },
      ...run.shards.map((shard) => ({
        pk: RUNS_PK,
        sk: shardSk(startedAt, run.runId, shard.shard),
        type: 'ReportingRunShard',
        runId: run.runId,
        shard: shard.shard,
        state: 'queued' satisfies ShardState,
        backlog: shard.backlog,
        invocations: 0,
        longestInvocationMs: 0,
        ...(shard.oldestHour ? { oldestUnreportedHour: shard.oldestHour } : {}),
        ...Object.fromEntries(COUNT_NAMES.map((name) => [name, 0])),
        [MAIN_TABLE_KEYS.ttlAttribute]: expiresAt,
      })),
    ];
    for (let start = 0; start < items.length; start += 25) {
      let pending = items.slice(start, start + 25).map((item) => ({ PutRequest: { Item: item } }));
      // BatchWrite may leave items unprocessed under throttling: send those again until none is left.
      while (pending.length > 0) {
        const answer = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (answer.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      }
    }
  }

  async shardStarted(work: ShardWork, at: Date): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: RUNS_PK, sk: shardSk(work.runStartedAt, work.runId, work.shard) },
          UpdateExpression: 'SET #state = :running, #startedAt = if_not_exists(#startedAt, :at)',
          // Only a shard the dispatcher recorded (and not one already finished by an overlapping worker).
          ConditionExpression: 'attribute_exists(pk) AND #state <> :finished',
          ExpressionAttributeNames: { '#state': 'state', '#startedAt': 'startedAt' },
          ExpressionAttributeValues: { ':running': 'running', ':finished': 'finished', ':at': at.toISOString() },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async shardReported(report: ShardInvocationReport): Promise<void> {
    const { work } = report;
    const key = { pk: RUNS_PK, sk: shardSk(work.runStartedAt, work.runId, work.shard) };
    const durationMs = report.finishedAt.getTime() - report.startedAt.getTime();
    const names: Record<string, string> = { '#invocations': 'invocations', '#lastAt': 'lastAt' };
    const values: Record<string, unknown> = { ':one': 1, ':lastAt': report.finishedAt.toISOString() };
    const adds = ['#invocations :one'];
    for (const name of COUNT_NAMES) {
      names[`#${name}`] = name;
      values[`:${name}`] = report.counts[name];
      adds.push(`#${name} :${name}`);
    }
    const sets = ['#lastAt = :lastAt'];
    // A busy invocation did nothing: it must not move the state of the shard another worker is reporting.
    if (report.state !== 'busy') {
      names['#state'] = 'state';
      values[':state'] = report.state;
      sets.push('#state = :state');
    }
    if (report.state === 'finished') {
      names['#finishedAt'] = 'finishedAt';
      values[':finishedAt'] = report.finishedAt.toISOString();
      sets.push('#finishedAt = :finishedAt');
    }
    if (report.oldestUnreportedHour) {
      names['#oldest'] = 'oldestUnreportedHour';
      values[':oldest'] = report.oldestUnreportedHour;
      sets.push('#oldest = if_not_exists(#oldest, :oldest)');
    }
    const update = (withLongest: boolean) => {
      const allNames = { ...names, ...(withLongest ? { '#longest': 'longestInvocationMs' } : {}) };
      const allValues = { ...values, ...(withLongest ? { ':ms': durationMs } : {}) };
      return new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `SET ${[...sets, ...(withLongest ? ['#longest = :ms'] : [])].join(', ')} ADD ${adds.join(', ')}`,
        // The longest invocation is kept with a condition (an update expression has no max): when this one was not
        // longer, the same update is made without it.
        ConditionExpression: withLongest
          ? 'attribute_exists(pk) AND (attribute_not_exists(#longest) OR #longest < :ms)'
          : 'attribute_exists(pk)',
        ExpressionAttributeNames: allNames,
        ExpressionAttributeValues: allValues,
      });
    };
    try {
      await this.client.send(update(true));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      try {
        await this.client.send(update(false));
      } catch (again) {
        // No shard record (a message queued by hand, or one older than the records' 30 days): nothing to add to.
        if (!(again instanceof ConditionalCheckFailedException)) throw again;
      }
    }
  }

  async readRun(work: Pick<ShardWork, 'runId' | 'runStartedAt'>): Promise<ReportingRunRecord | undefined> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': RUNS_PK, ':prefix': runSk(work.runStartedAt, work.runId) },
        ConsistentRead: true,
      }),
    );
    const items = page.Items ?? [];
    const run = items.find((item) => item.type === 'ReportingRun');
    return run
      ? runOf(
          run,
          items.filter((item) => item.type === 'ReportingRunShard'),
        )
      : undefined;
  }

  async listRuns(query: { readonly limit?: number; readonly cursor?: string }): Promise<ReportingRunPage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ValidationError(`limit must be a whole number from 1 to ${MAX_LIMIT}`, 'limit');
    }
    let start = decodeCursor(query.cursor, { attribute: 'pk', value: RUNS_PK }, ['pk', 'sk']);
    const runs: ReportingRunRecord[] = [];
    let shards: Item[] = [];
    let lastRunKey: Item | undefined;
    let exhausted = false;
    while (runs.length < limit && !exhausted) {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': RUNS_PK, ':prefix': 'RUN#' },
          ScanIndexForward: false,
          Limit: 200,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.type === 'ReportingRunShard') {
          shards.push(item);
          continue;
        }
        if (item.type !== 'ReportingRun') continue;
        runs.push(
          runOf(
            item,
            shards.filter((shard) => shard.runId === item.runId),
          ),
        );
        shards = [];
        lastRunKey = { pk: item.pk, sk: item.sk };
        if (runs.length === limit) break;
      }
      start = page.LastEvaluatedKey;
      exhausted = start === undefined;
    }
    const nextCursor = runs.length === limit && lastRunKey ? encodeCursor(lastRunKey) : undefined;
    return { runs, ...(nextCursor ? { nextCursor } : {}) };
  }

  async acquire(shard: number, owner: string, until: Date, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: LEASE_PK,
            sk: `SHARD#${shard}`,
            type: 'ReportingLease',
            owner,
            until: until.getTime(),
            [MAIN_TABLE_KEYS.ttlAttribute]: epochSeconds(until) + 24 * 3600,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#until': 'until', '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now.getTime(), ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(shard: number, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: LEASE_PK, sk: `SHARD#${shard}` },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Taken over after it expired: the lease is someone else's now, and stays.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function runOf(item: Item, shardItems: readonly Item[]): ReportingRunRecord {
  const shards = shardItems.map(shardOf).sort((a, b) => a.shard - b.shard);
  const counts = Object.fromEntries(
    COUNT_NAMES.map((name) => [name, shards.reduce((sum, shard) => sum + shard.counts[name], 0)]),
  ) as unknown as ShardCounts;
  const expected = Number(item.shardCount ?? shards.length);
  const finished = shards.length === expected && shards.every((shard) => shard.finishedAt !== undefined);
  const oldest = shards
    .map((shard) => shard.oldestUnreportedHour)
    .filter((hour) => hour !== undefined)
    .sort()[0];
  const finishedAt = finished
    ? shards
        .map((shard) => shard.finishedAt as string)
        .sort()
        .at(-1)
    : undefined;
  return {
    runId: String(item.runId),
    trigger: item.trigger === 'manual' ? 'manual' : 'schedule',
    startedAt: String(item.startedAt),
    ...(finishedAt ? { finishedAt } : {}),
    lastHour: String(item.lastHour),
    ...(oldest ? { oldestUnreportedHour: oldest } : {}),
    backlog: shards.reduce((sum, shard) => sum + shard.backlog, 0),
    counts,
    shards,
  };
}

function shardOf(item: Item): ShardRecord {
  const state = STATES.find((candidate) => candidate === item.state) ?? 'queued';
  return {
    shard: Number(item.shard),
    state,
    backlog: Number(item.backlog ?? 0),
    ...(typeof item.startedAt === 'string' ? { startedAt: item.startedAt } : {}),
    ...(typeof item.finishedAt === 'string' ? { finishedAt: item.finishedAt } : {}),
    invocations: Number(item.invocations ?? 0),
    longestInvocationMs: Number(item.longestInvocationMs ?? 0),
    ...(typeof item.oldestUnreportedHour === 'string' ? { oldestUnreportedHour: item.oldestUnreportedHour } : {}),
    counts: Object.fromEntries(COUNT_NAMES.map((name) => [name, Number(item[name] ?? 0)])) as unknown as ShardCounts,
  };
}
