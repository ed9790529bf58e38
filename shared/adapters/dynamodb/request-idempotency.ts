import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';

/** How long a request's answer is kept for retries with the same `Idempotency-Key`. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;

/**
 * Makes a whole HTTP request idempotent on its `Idempotency-Key` header, with Powertools Idempotency storing each
 * key's answer in the main table (`pk = IDEMPOTENCY#<scope>`, `sk = <hash of the key>`, expiring through the table's
 * TTL attribute):
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
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    keyAttr: MAIN_TABLE_KEYS.partitionKey,
    sortKeyAttr: MAIN_TABLE_KEYS.sortKey,
    staticPkValue: `${TABLE_PARTITION.idempotency}${scope}`,
    expiryAttr: MAIN_TABLE_KEYS.ttlAttribute,
    awsSdkV3Client: client as never,
  });
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
      return idempotent.before?.(request);
    },
    after: async (request: Request) => (skipped.has(request) ? undefined : idempotent.after?.(request)),
    onError: async (request: Request) => (skipped.has(request) ? undefined : idempotent.onError?.(request)),
  };
}
