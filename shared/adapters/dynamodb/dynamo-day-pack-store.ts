import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from '#shared/adapters/dynamodb/dynamo-item.ts';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_INDEX_NAME } from '#shared/adapters/dynamodb/table-keys.ts';
import type { DayPack, DayPackRedemption, PrepaidTerm, RedeemedDayPack } from '#shared/domain/day-packs.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import { MAX_TRANSACTION_ITEMS } from '#shared/domain/transaction-limits.ts';
import type { DayPackStore, StoredPrepaidTerm } from '#shared/use-cases/day-packs/ports/day-pack-store.ts';
import type { DayPackDirectory, Page, PageRequest } from '#shared/use-cases/portal-data/ports/directories.ts';

type Item = Record<string, unknown>;

const PACK_SK = 'DAYPACK';
const TERM_SK = 'PREPAID_TERM';
const REDEMPTION_SK_PREFIX = 'REDEMPTION#';
// Enough of the hash to keep two redemptions in the same millisecond apart, without repeating the whole key.
const HASH_PREFIX_LENGTH = 16;

const packKey = (codeHash: string) => ({ pk: `${TABLE_PARTITION.dayPack}${codeHash}`, sk: PACK_SK });
const termKey = (subscriptionId: string) => ({ pk: `${TABLE_PARTITION.subscription}${subscriptionId}`, sk: TERM_SK });
const partnerIndexKey = (partnerId: string) => `${INDEX_PARTITION.partner}${partnerId}#DAYPACKS`;

/**
 * Day packs and prepaid terms in the main table (single-table design):
 *
 * - pack: `pk = DAYPACK#<codeHash>`, `sk = DAYPACK`; when partner-attributed also
 *   `gsi1pk = PARTNER#<partnerId>#DAYPACKS`, `gsi1sk = <issuedAt ISO>` (a partner's packs, oldest first);
 * - prepaid term: `pk = SUB#<subscriptionId>`, `sk = PREPAID_TERM`, with a `version` number;
 * - redemption record: `pk = SUB#<subscriptionId>`, `sk = REDEMPTION#<redeemedAt ISO>#<codeHash prefix>`.
 *
 * A redemption writes all three in one TransactWriteItems, conditional on the pack being unredeemed and the term
 * still having the version read, so a pack is redeemed at most once and no extension is lost to a race.
 * The redemption record copies the whole pack (immutable once redeemed) so a subscription's history is one query.
 * Dates are ISO 8601 strings (UTC), which also sort correctly as sort keys.
 */
export class DynamoDayPackStore implements DayPackStore, DayPackDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async saveIssued(packs: readonly DayPack[]): Promise<void> {
    for (let start = 0; start < packs.length; start += MAX_TRANSACTION_ITEMS) {
      const chunk = packs.slice(start, start + MAX_TRANSACTION_ITEMS);
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: chunk.map((pack) => ({
              Put: {
                TableName: this.tableName,
                Item: packItem(pack),
                // Never overwrite a pack: an existing one may be redeemed already.
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          }),
        );
      } catch (error) {
        throw asConflict(error, () => 'A day pack with the same code exists already; issue again.');
      }
    }
  }

  async findByCodeHash(codeHash: string): Promise<DayPack | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: packKey(codeHash), ConsistentRead: true }),
    );
    return result.Item ? toPack(result.Item) : undefined;
  }

  async findPrepaidTerm(subscriptionId: string): Promise<StoredPrepaidTerm | undefined> {
    // Consistent read: the version read here is compared on the next write.
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: termKey(subscriptionId), ConsistentRead: true }),
    );
    if (!result.Item) return undefined;
    return { term: toTerm(result.Item), version: num(result.Item, 'version') };
  }

  async recordRedemption(pack: RedeemedDayPack, termBefore: StoredPrepaidTerm | undefined): Promise<void> {
    const { redemption } = pack;
    const nextVersion = (termBefore?.version ?? 0) + 1;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: packKey(pack.codeHash),
                UpdateExpression: 'SET #redemption = :redemption',
                // The pack must exist and be unredeemed: a redeemed pack is never changed again.
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#redemption)',
                ExpressionAttributeNames: { '#redemption': 'redemption' },
                ExpressionAttributeValues: { ':redemption': redemptionAttribute(redemption) },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...termKey(redemption.subscriptionId),
                  type: 'PrepaidTerm',
                  ...termAttribute(redemption.termAfter),
                  version: nextVersion,
                },
                ...(termBefore === undefined
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      ConditionExpression: '#version = :expected',
                      ExpressionAttributeNames: { '#version': 'version' },
                      ExpressionAttributeValues: { ':expected': termBefore.version },
                    }),
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: `${TABLE_PARTITION.subscription}${redemption.subscriptionId}`,
                  sk: `${REDEMPTION_SK_PREFIX}${redemption.redeemedAt.toISOString()}#${pack.codeHash.slice(0, HASH_PREFIX_LENGTH)}`,
                  ...packAttributes(pack),
                  type: 'DayPackRedemption',
                  redemption: redemptionAttribute(redemption),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      throw asConflict(error, (failed) =>
        failed.has(0)
          ? 'This day pack was redeemed meanwhile.'
          : `The prepaid term of subscription ${redemption.subscriptionId} changed meanwhile; read it again.`,
      );
    }
  }

  async listByPartner(partnerId: string): Promise<DayPack[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: MAIN_INDEX_NAME,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': partnerIndexKey(partnerId) },
    });
    return items.map(toPack);
  }

  async listByPartnerPage(partnerId: string, page: PageRequest): Promise<Page<DayPack>> {
    const partition = partnerIndexKey(partnerId);
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: MAIN_INDEX_NAME,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': partition },
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, { attribute: 'gsi1pk', value: partition }, [
          'pk',
          'sk',
          'gsi1pk',
          'gsi1sk',
        ]),
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey);
    return { items: (result.Items ?? []).map(toPack), ...(nextCursor ? { nextCursor } : {}) };
  }

  async listBySubscription(subscriptionId: string): Promise<RedeemedDayPack[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': `${TABLE_PARTITION.subscription}${subscriptionId}`,
        ':prefix': REDEMPTION_SK_PREFIX,
      },
      ConsistentRead: true,
    });
    return items.map((item) => {
      const pack = toPack(item);
      if (!pack.redemption) throw new Error(`Redemption record ${String(item.sk)} has no redemption`);
      return { ...pack, redemption: pack.redemption };
    });
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

/**
 * A transaction cancelled by a failed condition or by a concurrent transaction on the same items means the state
 * changed under us: a 409 the use case may retry. Any other failure stays as it is (a 5xx).
 */
function asConflict(error: unknown, message: (failedIndexes: ReadonlySet<number>) => string): unknown {
  if (!(error instanceof TransactionCanceledException)) return error;
  const reasons = error.CancellationReasons ?? [];
  const failed = new Set<number>();
  reasons.forEach((reason, index) => {
    if (reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict') failed.add(index);
  });
  const onlyConcurrency = reasons.every(
    (reason) => !reason.Code || ['None', 'ConditionalCheckFailed', 'TransactionConflict'].includes(reason.Code),
  );
  return failed.size > 0 && onlyConcurrency ? new ConflictError(message(failed), { cause: error }) : error;
}

function packAttributes(pack: DayPack): Item {
  return {
    codeHash: pack.codeHash,
    productKey: pack.productKey,
    days: pack.days,
    ...(pack.partnerId === undefined ? {} : { partnerId: pack.partnerId }),
    issuedAt: pack.issuedAt.toISOString(),
  };
}

function packItem(pack: DayPack): Item {
  return {
    ...packKey(pack.codeHash),
    type: 'DayPack',
    ...packAttributes(pack),
    ...(pack.partnerId === undefined
      ? {}
      : { gsi1pk: partnerIndexKey(pack.partnerId), gsi1sk: pack.issuedAt.toISOString() }),
    ...(pack.redemption === undefined ? {} : { redemption: redemptionAttribute(pack.redemption) }),
  };
}

function termAttribute(term: PrepaidTerm): Item {
  return {
    subscriptionId: term.subscriptionId,
    productKey: term.productKey,
    start: term.start.toISOString(),
    end: term.end.toISOString(),
    extensions: term.extensions,
  };
}

function redemptionAttribute(redemption: DayPackRedemption): Item {
  return {
    subscriptionId: redemption.subscriptionId,
    redeemedAt: redemption.redeemedAt.toISOString(),
    ...(redemption.termBefore === undefined ? {} : { termBefore: termAttribute(redemption.termBefore) }),
    termAfter: termAttribute(redemption.termAfter),
  };
}

function toPack(item: Item): DayPack {
  const partnerId = item.partnerId;
  const redemption = item.redemption;
  return {
    codeHash: str(item, 'codeHash'),
    productKey: str(item, 'productKey'),
    days: num(item, 'days'),
    ...(typeof partnerId === 'string' ? { partnerId } : {}),
    issuedAt: date(item, 'issuedAt'),
    ...(isItem(redemption) ? { redemption: toRedemption(redemption) } : {}),
  };
}

function toRedemption(item: Item): DayPackRedemption {
  const termBefore = item.termBefore;
  return {
    subscriptionId: str(item, 'subscriptionId'),
    redeemedAt: date(item, 'redeemedAt'),
    ...(isItem(termBefore) ? { termBefore: toTerm(termBefore) } : {}),
    termAfter: toTerm(map(item, 'termAfter')),
  };
}

function toTerm(item: Item): PrepaidTerm {
  return {
    subscriptionId: str(item, 'subscriptionId'),
    productKey: str(item, 'productKey'),
    start: date(item, 'start'),
    end: date(item, 'end'),
    extensions: num(item, 'extensions'),
  };
}

// Stored items are read defensively: a malformed item is a bug or a manual edit, and must not become a term.
function str(item: Item, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw new Error(`Stored item attribute ${name} is not a string`);
  return value;
}

function num(item: Item, name: string): number {
  const value = item[name];
  if (typeof value !== 'number') throw new Error(`Stored item attribute ${name} is not a number`);
  return value;
}

function date(item: Item, name: string): Date {
  const value = new Date(str(item, name));
  if (Number.isNaN(value.getTime())) throw new Error(`Stored item attribute ${name} is not an ISO date`);
  return value;
}

function map(item: Item, name: string): Item {
  const value = item[name];
  if (!isItem(value)) throw new Error(`Stored item attribute ${name} is not a map`);
  return value;
}

function isItem(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
