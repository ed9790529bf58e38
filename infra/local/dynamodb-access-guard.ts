import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FunctionDefinition } from '#infra/functions.ts';
import { allowsIndexQuery, allowsItem, type ItemAction, type TableAccess } from '#infra/table-access.ts';
import { watchDynamoDbClients } from '#shared/adapters/aws-clients.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';

/**
 * IAM's check of each function's table access (`uses.table` in infra/functions.ts, granted by
 * infra/constructs/bind.ts), done again on this machine: while a function's handler runs (`asFunction`), every
 * request its DynamoDB clients send is compared with its declaration, and one outside it is refused with an error
 * naming the function, the action and the partition key, as AWS would refuse it with AccessDenied. The local mode
 * and the handler tests run with it, so a declaration missing an action or a partition fails a test here instead of
 * a request in production.
 *
 * Requests sent outside any handler (test set-up, the local mode's own provisioning, tools) are not checked.
 */

interface RunningFunction {
  readonly id: string;
  readonly access: TableAccess | undefined;
}

const running = new AsyncLocalStorage<RunningFunction>();
const refusals: DynamoDbAccessRefused[] = [];

/** A request outside the declared table access of the function that sent it. */
export class DynamoDbAccessRefused extends Error {
  constructor(
    readonly functionId: string,
    readonly action: string,
    readonly partitionKey: string | undefined,
  ) {
    super(
      `DynamoDB access refused: function ${functionId} may not ${action}` +
        (partitionKey === undefined ? '' : ` on partition key '${partitionKey}'`) +
        ` (not in its uses.table declaration, infra/functions.ts; AWS would answer AccessDenied). Declare the action ` +
        `and the partition prefix (shared/adapters/dynamodb/partition-keys.ts) if the function needs them.`,
    );
    this.name = 'DynamoDbAccessRefused';
  }
}

/** Runs `handler` invocations as `definition`'s function: its DynamoDB requests are checked against its declaration. */
export function asFunction<H extends (...args: never[]) => unknown>(definition: FunctionDefinition, handler: H): H {
  const identity: RunningFunction = { id: definition.id, access: definition.uses.table };
  return ((...args: Parameters<H>) => running.run(identity, () => handler(...args))) as H;
}

/**
 * Adds the check to every DynamoDB client created from now on (the functions create theirs when their handler
 * module loads: install this before importing them). Returns the function that stops adding it.
 */
export function installDynamoDbAccessGuard(): () => void {
  return watchDynamoDbClients(guardClient);
}

/**
 * The requests refused since the last call, even those whose error the function caught and only logged (a best-effort
 * step such as a reseller check), and forgets them: the tests' setup fails a test file that leaves any.
 */
export function takeRefusedDynamoDbRequests(): DynamoDbAccessRefused[] {
  return refusals.splice(0);
}

function guardClient(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const fn = running.getStore();
      // After the document client's marshalling (build step): the input holds DynamoDB attribute values.
      if (fn) checkRequest(fn, String(context.commandName ?? ''), args.input as RequestInput);
      return next(args);
    },
    { step: 'build', name: 'dynamoDbAccessGuard', override: true },
  );
}

type AttributeMap = Record<string, { S?: string } | undefined>;
interface RequestInput {
  Key?: AttributeMap;
  Item?: AttributeMap;
  IndexName?: string;
  KeyConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: AttributeMap;
  RequestItems?: Record<string, unknown>;
  TransactItems?: Record<string, RequestInput | undefined>[];
}

const SINGLE_ITEM: Record<string, ItemAction> = {
  GetItemCommand: 'GetItem',
  PutItemCommand: 'PutItem',
  UpdateItemCommand: 'UpdateItem',
  DeleteItemCommand: 'DeleteItem',
};
const TRANSACT_PART: Record<string, ItemAction> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

function checkRequest(fn: RunningFunction, commandName: string, input: RequestInput): void {
  const refuse = (action: string, partitionKey: string | undefined): never => {
    const refusal = new DynamoDbAccessRefused(fn.id, action, partitionKey);
    refusals.push(refusal);
    throw refusal;
  };
  const item = (action: ItemAction, key: AttributeMap | undefined) => {
    const partitionKey = key?.[MAIN_TABLE_KEYS.partitionKey]?.S;
    if (partitionKey === undefined || !fn.access || !allowsItem(fn.access, action, partitionKey, true)) {
      refuse(action, partitionKey);
    }
  };
  const single = SINGLE_ITEM[commandName];
  if (single) {
    item(single, input.Key ?? input.Item);
    return;
  }
  switch (commandName) {
    case 'QueryCommand': {
      if (input.IndexName === undefined) {
        item('Query', { [MAIN_TABLE_KEYS.partitionKey]: { S: queryPartition(input, MAIN_TABLE_KEYS.partitionKey) } });
        return;
      }
      const partition = queryPartition(input, MAIN_TABLE_KEYS.index.partitionKey);
      if (
        input.IndexName !== MAIN_TABLE_KEYS.index.name ||
        !fn.access ||
        !allowsIndexQuery(fn.access, partition ?? '')
      ) {
        refuse(`Query index ${input.IndexName}`, partition);
      }
      return;
    }
    case 'BatchGetItemCommand':
      for (const request of Object.values(input.RequestItems ?? {}) as { Keys?: AttributeMap[] }[]) {
        for (const key of request.Keys ?? []) item('BatchGetItem', key);
      }
      return;
    case 'BatchWriteItemCommand':
      for (const requests of Object.values(input.RequestItems ?? {}) as {
        PutRequest?: { Item?: AttributeMap };
        DeleteRequest?: { Key?: AttributeMap };
      }[][]) {
        for (const request of requests) {
          // A batch delete is a delete: the grant must hold both BatchWriteItem and the partition as deletable.
          if (request.DeleteRequest) item('DeleteItem', request.DeleteRequest.Key);
          item('BatchWriteItem', request.PutRequest?.Item ?? request.DeleteRequest?.Key);
        }
      }
      return;
    case 'TransactWriteItemsCommand':
    case 'TransactGetItemsCommand':
      for (const part of input.TransactItems ?? []) {
        for (const [kind, body] of Object.entries(part)) {
          const action = TRANSACT_PART[kind];
          if (!action) refuse(`TransactItems.${kind}`, undefined);
          else item(action, body?.Key ?? body?.Item);
        }
      }
      return;
    default:
      // Scan, PartiQL, DescribeTable, …: nothing the functions are granted.
      refuse(commandName.replace(/Command$/, ''), undefined);
  }
}

/** The value the key condition gives `attribute` (`#pk = :pk`, names and values resolved). */
function queryPartition(input: RequestInput, attribute: string): string | undefined {
  for (const clause of (input.KeyConditionExpression ?? '').split(/\s+AND\s+/i)) {
    const match = /^\(?\s*([#\w]+)\s*=\s*(:\w+)\s*\)?$/.exec(clause.trim());
    if (!match?.[1] || !match[2]) continue;
    const name = match[1].startsWith('#') ? input.ExpressionAttributeNames?.[match[1]] : match[1];
    if (name === attribute) return input.ExpressionAttributeValues?.[match[2]]?.S;
  }
  return undefined;
}
