import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_TABLE_KEYS, rawMainTableKey } from '#shared/adapters/dynamodb/table-keys.ts';

/** How long a request's answer is kept for retries with the same `Idempotency-Key`. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;

/** Leading characters of every idempotency record's partition key. */
export const IDEMPOTENCY_PK_PREFIX = TABLE_PARTITION.idempotency;

/**
 * Partition of one remembered answer: `IDEMPOTENCY#<scope>#<digest of the key>`, so every key has its own partition.
 * Records are only ever read and written by their key, never queried, so nothing needs them together; one partition
 * for the whole scope (`IDEMPOTENCY#<scope>`, before) took two writes of every keyed request, the second carrying its
 * answer (about 32 KB for 1,000 events), on one partition of at most 1,000 write units a second (docs/key-design.md).
 *
 * `hashedKey` is Powertools' `<prefix>#<digest>` (the prefix is the function name); the digest alone spreads.
 */
export function idempotencyRecordPk(scope: string, hashedKey: string): string {
  return `${IDEMPOTENCY_PK_PREFIX}${scope}#${hashedKey.slice(hashedKey.lastIndexOf('#') + 1)}`;
}

/**
 * Powertools' DynamoDB persistence with a partition per record: with a sort key, the library puts every record under
 * one static partition key (`staticPkValue`), and without one it needs a table keyed by `pk` alone, which the main
 * table is not. Only the key changes; the items' attributes and conditions are the library's.
 */
class SpreadDynamoDBPersistenceLayer extends DynamoDBPersistenceLayer {
  constructor(
    config: ConstructorParameters<typeof DynamoDBPersistenceLayer>[0],
    private readonly scope: string,
  ) {
    super(config);
  }

  protected override getKey(idempotencyKey: string): Record<string, AttributeValue> {
    return rawMainTableKey(idempotencyRecordPk(this.scope, idempotencyKey), idempotencyKey);
  }
}

/**
 * Makes a whole HTTP request idempotent on its `Idempotency-Key` header, with Powertools Idempotency storing each
 * key's answer in the main table (`pk = IDEMPOTENCY#<scope>#<digest of the key>`, `sk = <hash of the key>`, expiring
 * through the table's TTL attribute):
 * - a retry with the same key and the same body gets the first answer back, without running again, so a client
 *   retry can never count usage twice, even if the subscription or the clock changed in between;
 * - the same key with a different body is refused (IdempotencyValidationError → 422), since the client has a bug;
 * - a retry while the first request is still running gets 409 and should retry shortly;
 * - a request without the header (or with an empty one) runs normally; a request that fails (4xx/5xx) is not
 *   remembered;
 * - a request without a body is left to the handler, which refuses it with 400: Powertools would fail hashing the
 *   missing body for the payload check (a 500 the fuzz suite found).
 * Attach it after authentication, so only an authenticated caller can read a remembered answer.
 */
export function idempotentOnHeader(client: DynamoDBClient, tableName: string, scope: string) {
  const persistenceStore = new SpreadDynamoDBPersistenceLayer(
    {
      tableName,
      keyAttr: MAIN_TABLE_KEYS.partitionKey,
      sortKeyAttr: MAIN_TABLE_KEYS.sortKey,
      expiryAttr: MAIN_TABLE_KEYS.ttlAttribute,
      awsSdkV3Client: client as never,
    },
    scope,
  );
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'headers."idempotency-key"',
    payloadValidationJmesPath: 'body',
    throwOnNoIdempotencyKey: false,
    expiresAfterSeconds: IDEMPOTENCY_WINDOW_SECONDS,
  });
  const idempotent = makeHandlerIdempotent({ persistenceStore, config });
  const skipped = new WeakSet<object>();
  type Request = Parameters<NonNullable<typeof idempotent.before>>[0];
  const applies = (request: Request) => {
    const event = request.event as { body?: unknown; headers?: Record<string, string | undefined> };
    return typeof event.body === 'string' && Boolean(event.headers?.['idempotency-key']);
  };
  return {
    before: async (request: Request) => {
      if (!applies(request)) {
        skipped.add(request);
        return;
      }
      try {
        return await idempotent.before?.(request);
      } catch (error) {
        // Refused before it acquired the record (the key came back with another body, or its first request still
        // runs): the record is the original request's. Powertools' onError (2.35) deletes it regardless, and a retry
        // of the original would then run again (usage counted twice): found by the fuzz suite, upstream issue 5675.
        skipped.add(request);
        throw error;
      }
    },
    after: async (request: Request) => (skipped.has(request) ? undefined : idempotent.after?.(request)),
    onError: async (request: Request) => (skipped.has(request) ? undefined : idempotent.onError?.(request)),
  };
}
