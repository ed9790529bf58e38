import { type DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';

/** One change of an item, as DynamoDB Streams records it (a write that changes nothing is no record). */
export interface TableChange {
  readonly event: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** `pk|sk`. */
  readonly key: string;
  /** The item after the change (before it, for a removal), as DynamoDB's typed JSON. */
  readonly image: Record<string, Record<string, unknown>>;
  /** The item before and after the change (undefined: absent), as DynamoDB's typed JSON. */
  readonly before?: Record<string, Record<string, unknown>>;
  readonly after?: Record<string, Record<string, unknown>>;
}

/**
 * The changes that remain when writes undone within the same reading are left out: per item, the state before its
 * first change against the state after its last (an idempotency record written and then deleted again when the
 * request was refused is no change, as a Scan before and after would not see it).
 */
export function netChanges(changes: readonly TableChange[]): TableChange[] {
  const byKey = new Map<string, TableChange[]>();
  for (const change of changes) byKey.set(change.key, [...(byKey.get(change.key) ?? []), change]);
  const net: TableChange[] = [];
  for (const itemChanges of byKey.values()) {
    const first = itemChanges[0] as TableChange;
    const last = itemChanges[itemChanges.length - 1] as TableChange;
    if (!sameItem(first.before, last.after)) net.push(last);
  }
  return net;
}

function sameItem(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted (stream images list attributes in no set order). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface StreamRecord {
  readonly eventName: TableChange['event'];
  readonly dynamodb: {
    readonly Keys: Record<string, Record<string, unknown>>;
    readonly NewImage?: Record<string, Record<string, unknown>>;
    readonly OldImage?: Record<string, Record<string, unknown>>;
  };
}

/**
 * Every change written to a DynamoDB Local table from now on, read from the table's stream (turned on here). This is
 * what the fuzz suite checks refused requests against: reading the changes since the last read costs as much as the
 * changes, where a Scan of the table costs as much as the table (which grows with every accepted request: a 100,000
 * request run cannot afford Scans). A write that leaves the item as it was is no change, as with a Scan compared.
 *
 * The stream API has no client in the project's dependencies: it is the same JSON protocol as DynamoDB's on the same
 * endpoint (DynamoDB Local checks no signature; it reads the access key from the header).
 */
export class TableChanges {
  private readonly iterators = new Map<string, string | undefined>();
  private readonly finished = new Set<string>();

  private constructor(
    private readonly endpoint: string,
    private readonly streamArn: string,
  ) {}

  /** Turns the table's stream on (new and old images) and starts reading at its end. */
  static async start(client: DynamoDBClient, endpoint: string, table: string): Promise<TableChanges> {
    const updated = await client.send(
      new UpdateTableCommand({
        TableName: table,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    const arn = updated.TableDescription?.LatestStreamArn;
    if (!arn) throw new Error(`DynamoDB Local gave table ${table} no stream`);
    const changes = new TableChanges(endpoint, arn);
    for (const shard of await changes.shards()) {
      changes.iterators.set(shard, await changes.iterator(shard, 'LATEST'));
    }
    return changes;
  }

  /** Shards read at each call (one GetRecords each): a reading costs this many calls when nothing changed. */
  get openShards(): number {
    return this.iterators.size;
  }

  /** The changes written since the last call (in stream order per shard). */
  async read(): Promise<TableChange[]> {
    const changes: TableChange[] = [];
    let closed = false;
    for (const [shard, start] of this.iterators) {
      let iterator = start;
      while (iterator) {
        const page = (await this.call('GetRecords', { ShardIterator: iterator, Limit: 1000 })) as {
          Records?: StreamRecord[];
          NextShardIterator?: string;
        };
        const records = page.Records ?? [];
        for (const record of records) changes.push(toChange(record));
        iterator = page.NextShardIterator;
        if (records.length === 0) break;
      }
      this.iterators.set(shard, iterator);
      if (!iterator) {
        // A closed shard: its children hold what follows.
        this.iterators.delete(shard);
        this.finished.add(shard);
        closed = true;
      }
    }
    if (closed || this.iterators.size === 0) {
      for (const shard of await this.shards()) {
        if (this.iterators.has(shard) || this.finished.has(shard)) continue;
        this.iterators.set(shard, await this.iterator(shard, 'TRIM_HORIZON'));
      }
      if (closed) changes.push(...(await this.read()));
    }
    return changes;
  }

  /** Reads until no change came for `quietMs` twice in a row (at most `maxMs`): what the system's own work wrote. */
  async settle(quietMs = 500, maxMs = 15_000): Promise<TableChange[]> {
    const all: TableChange[] = [];
    const until = Date.now() + maxMs;
    let quietRounds = 0;
    while (quietRounds < 2 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      const changes = await this.read();
      all.push(...changes);
      quietRounds = changes.length === 0 ? quietRounds + 1 : 0;
    }
    return all;
  }

  private async shards(): Promise<string[]> {
    const shards: string[] = [];
    let start: string | undefined;
    do {
      const page = (await this.call('DescribeStream', {
        StreamArn: this.streamArn,
        ...(start ? { ExclusiveStartShardId: start } : {}),
      })) as { StreamDescription: { Shards: { ShardId: string }[]; LastEvaluatedShardId?: string } };
      shards.push(...page.StreamDescription.Shards.map((shard) => shard.ShardId));
      start = page.StreamDescription.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  private async iterator(shard: string, type: 'LATEST' | 'TRIM_HORIZON'): Promise<string | undefined> {
    const answer = (await this.call('GetShardIterator', {
      StreamArn: this.streamArn,
      ShardId: shard,
      ShardIteratorType: type,
    })) as { ShardIterator?: string };
    return answer.ShardIterator;
  }

  private async call(operation: string, body: unknown): Promise<unknown> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDBStreams_20120810.${operation}`,
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`DynamoDB Streams ${operation} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  }
}

const textOf = (value: Record<string, unknown> | undefined) => String(value?.S ?? value?.N ?? JSON.stringify(value));

function toChange(record: StreamRecord): TableChange {
  const { Keys, NewImage, OldImage } = record.dynamodb;
  return {
    event: record.eventName,
    key: `${textOf(Keys.pk)}|${textOf(Keys.sk)}`,
    image: NewImage ?? OldImage ?? Keys,
    ...(OldImage ? { before: OldImage } : {}),
    ...(NewImage ? { after: NewImage } : {}),
  };
}
