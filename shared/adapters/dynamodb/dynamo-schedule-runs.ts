import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Item, readOptionalString } from '#shared/adapters/dynamodb/dynamo-item.ts';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { mainTableKey } from '#shared/adapters/dynamodb/table-keys.ts';
import type { CanaryStreak, ScheduleRunRecord } from '#shared/domain/scheduled-runs.ts';
import type { CanaryStreakStore, ScheduleRunRecords } from '#shared/use-cases/operations/ports/schedule-runs.ts';

const PARTITION = TABLE_PARTITION.scheduleRuns;
/** Sort keys of the schedules' records: `SCHEDULE#<schedule id>`. */
const SCHEDULE_PREFIX = 'SCHEDULE#';

/** The record of one schedule: `pk = SCHEDULE_RUNS`, `sk = SCHEDULE#<id>`. */
export function scheduleRunKey(schedule: string) {
  return mainTableKey(PARTITION, `${SCHEDULE_PREFIX}${schedule}`);
}

/** The Entra canary's streak: `pk = SCHEDULE_RUNS`, `sk = ENTRA_CANARY_STREAK`. */
export const CANARY_STREAK_KEY = mainTableKey(PARTITION, 'ENTRA_CANARY_STREAK');

/**
 * One item per schedule in one partition: `lastRunAt` written by each scheduled run (UpdateItem, so the watcher's
 * `watchedSince` on the same item is kept), `watchedSince` by the watcher. A few writes an hour in all, so one
 * partition is far from any limit, and the watcher reads every schedule with one query.
 */
export class DynamoScheduleRuns implements ScheduleRunRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordRun(schedule: string, at: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: scheduleRunKey(schedule),
        UpdateExpression: 'SET lastRunAt = :at, schedule = :schedule',
        ExpressionAttributeValues: { ':at': at.toISOString(), ':schedule': schedule },
      }),
    );
  }

  async list(): Promise<ScheduleRunRecord[]> {
    const records: ScheduleRunRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': PARTITION, ':prefix': SCHEDULE_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      records.push(...(page.Items ?? []).map(recordOf));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async startWatching(schedule: string, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: scheduleRunKey(schedule),
          UpdateExpression: 'SET watchedSince = :at, schedule = :schedule',
          // Two watchers racing (a retried dispatch) keep the first time.
          ConditionExpression: 'attribute_not_exists(watchedSince)',
          ExpressionAttributeValues: { ':at': at.toISOString(), ':schedule': schedule },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async stopWatching(schedule: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: scheduleRunKey(schedule),
          UpdateExpression: 'REMOVE watchedSince',
          // Never makes an item for a schedule that has none.
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** The Entra canary's failures in a row, one item beside the schedules' records. */
export class DynamoCanaryStreak implements CanaryStreakStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<CanaryStreak | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: CANARY_STREAK_KEY, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const failuresInARow = Item.failuresInARow;
    const lastAttemptAt = dateOf(Item, 'lastAttemptAt');
    if (typeof failuresInARow !== 'number' || !lastAttemptAt) {
      throw new Error(
        'Stored Entra canary streak is malformed: delete the item pk=SCHEDULE_RUNS, sk=ENTRA_CANARY_STREAK',
      );
    }
    return { failuresInARow, lastAttemptAt };
  }

  async write(streak: CanaryStreak): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...CANARY_STREAK_KEY,
          failuresInARow: streak.failuresInARow,
          lastAttemptAt: streak.lastAttemptAt.toISOString(),
        },
      }),
    );
  }
}

function recordOf(item: Item): ScheduleRunRecord {
  const schedule = String(item.sk).slice(SCHEDULE_PREFIX.length);
  const lastRunAt = dateOf(item, 'lastRunAt');
  const watchedSince = dateOf(item, 'watchedSince');
  return { schedule, ...(lastRunAt ? { lastRunAt } : {}), ...(watchedSince ? { watchedSince } : {}) };
}

/** @throws Error when the attribute is there but is not a date (a manual edit). */
function dateOf(item: Item, name: string): Date | undefined {
  const value = readOptionalString(item, name);
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`Stored ${name} of ${String(item.sk)} is not a date: ${value}`);
  return date;
}
