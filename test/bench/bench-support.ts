/**
 * What the pipeline benchmarks share: the machine line, the local stand-ins (DynamoDB Local in memory, fauxqs) with
 * the CDK app's resources and the handlers' environment, a DynamoDB operation counter, and a few small helpers.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, PublishCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { DEFAULT_FUNCTION_MEMORY_MB, type FunctionDefinition } from '#infra/functions.ts';
import {
  DYNAMODB_LOCAL_JVM_OPTIONS,
  DYNAMODB_LOCAL_STEADY_STATE_JVM_OPTIONS,
  type DynamoDbLocal,
  startDynamoDbLocal,
} from '#infra/local/dynamodb-local.ts';
import { type LocalMessaging, startLocalMessaging } from '#infra/local/fauxqs.ts';
import { localAwsEnv } from '#infra/local/function-env.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { provisionLocalResources, type ResourceEnv } from '#infra/local/provision.ts';
import { type AwsEndpoints, createSnsClient, createSqsClient, endpointsFromEnv } from '#shared/adapters/aws-clients.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { Dec } from '#shared/domain/money.ts';
import { ENV } from '#shared/env-names.ts';
import {
  type BilledOperations,
  chunkedRequests,
  itemSizeBytes,
  lambdaGbSeconds,
  writeRequestUnits,
} from './cost-model.ts';

/** "2 × Intel(R) Xeon(R) … · Node v20.x · linux x64": printed first by every benchmark. */
export function machineLine(): string {
  const all = cpus();
  return `${all.length} × ${all[0]?.model.trim() ?? 'unknown CPU'} · Node ${process.version} · ${process.platform} ${process.arch}`;
}

/**
 * What a phase (see `inPhase`) did to AWS: DynamoDB items and requests, and the billing units of every service the
 * cost model prices (cost-model.ts). Operations outside any phase are counted under `other`.
 */
export interface OperationCounts {
  /** Items written: 1 per PutItem/UpdateItem/DeleteItem, one per entry of TransactWriteItems/BatchWriteItem. */
  writeItems: number;
  /** Write requests (calls). */
  writeRequests: number;
  /** Read requests (GetItem, Query, Scan; BatchGetItem/TransactGetItems count one per key). */
  readRequests: number;
  /** Requests by command name, e.g. `TransactWriteItems`, `SendMessageBatch`, `Publish`. */
  readonly byCommand: Record<string, number>;
  /** DynamoDB write request units (see `instrumentDynamoDb` for how they are known). */
  writeRequestUnits: number;
  /** DynamoDB read request units (halves for eventually consistent reads). */
  readRequestUnits: number;
  /** SQS requests as billed: one per started 64 KB of each send, receive, delete or visibility change. */
  sqsRequests: number;
  /**
   * Receives that returned no message: not in `sqsRequests`. In AWS, Lambda's event source mapping long-polls an
   * empty queue at its own pace, a fixed cost per month whatever the events; the benchmark's pollers poll at theirs.
   */
  sqsEmptyReceives: number;
  /** SNS publishes as billed: one per started 64 KB of each Publish or PublishBatch. */
  snsPublishes: number;
  /** Handler invocations wrapped in `invokeFunction`, by function id in `byFunction`. */
  lambdaInvocations: number;
  readonly byFunction: Record<string, number>;
  /** Measured handler milliseconds (without the instrumentation's own reads). */
  lambdaMilliseconds: number;
  /** Σ configured memory (GB) × duration rounded up to the ms, per invocation. */
  lambdaGbSeconds: Dec;
  /** HTTP API requests as billed: one per started 512 KB of a request given to `invokeFunction`. */
  httpApiRequests: number;
}

const phase = new AsyncLocalStorage<string>();
const counts = new Map<string, OperationCounts>();

/** Runs `work` with its AWS operations (and those of everything it awaits) counted under `name`. */
export function inPhase<T>(name: string, work: () => Promise<T>): Promise<T> {
  return phase.run(name, work);
}

/** The counts of a phase so far (operations outside any phase are counted under `other`). */
export function countsOf(name: string): OperationCounts {
  let entry = counts.get(name);
  if (!entry) {
    entry = {
      writeItems: 0,
      writeRequests: 0,
      readRequests: 0,
      byCommand: {},
      writeRequestUnits: 0,
      readRequestUnits: 0,
      sqsRequests: 0,
      sqsEmptyReceives: 0,
      snsPublishes: 0,
      lambdaInvocations: 0,
      byFunction: {},
      lambdaMilliseconds: 0,
      lambdaGbSeconds: new Dec(0),
      httpApiRequests: 0,
    };
    counts.set(name, entry);
  }
  return entry;
}

/** The billing units of phases added together, as the cost model (`costOf`, `costTable`) takes them. */
export function billedOperationsOf(...names: string[]): BilledOperations {
  const all = names.map(countsOf);
  const sum = (pick: (entry: OperationCounts) => number) => all.reduce((total, entry) => total + pick(entry), 0);
  return {
    lambdaInvocations: sum((e) => e.lambdaInvocations),
    lambdaGbSeconds: all.reduce((total, entry) => total.plus(entry.lambdaGbSeconds), new Dec(0)),
    httpApiRequests: sum((e) => e.httpApiRequests),
    sqsRequests: sum((e) => e.sqsRequests),
    dynamoDbWriteRequestUnits: sum((e) => e.writeRequestUnits),
    dynamoDbReadRequestUnits: sum((e) => e.readRequestUnits),
    snsPublishes: sum((e) => e.snsPublishes),
  };
}

const current = () => countsOf(phase.getStore() ?? 'other');

// ---- Lambda and HTTP API ----

/** The invocation running, so that the instrumentation's own reads can be taken out of its measured duration. */
const invocation = new AsyncLocalStorage<{ overheadMs: number }>();

/** The parts of an API Gateway v2 event that make up the request API Gateway meters. */
export interface HttpApiRequestShape {
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly rawPath?: string;
  readonly rawQueryString?: string;
}

function httpRequestBytes(request: HttpApiRequestShape): number {
  const body = request.body ? Buffer.from(request.body, request.isBase64Encoded ? 'base64' : 'utf8').length : 0;
  const headers = Object.entries(request.headers ?? {}).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(`${name}: ${value ?? ''}\r\n`),
    0,
  );
  return body + headers + Buffer.byteLength(`${request.rawPath ?? ''}?${request.rawQueryString ?? ''}`);
}

/**
 * Runs one handler invocation as Lambda would bill it: counts one request of the function and its GB-seconds, from
 * the wall-clock duration of `work` in this process (less the instrumentation's own DynamoDB reads) × the function's
 * configured memory. With `httpApiRequest` (the API Gateway event), also one HTTP API request per started 512 KB.
 *
 * An estimate: in-process handlers share this process's CPU with each other, the stand-ins' clients and the bench,
 * so concurrent invocations each count the time they wait for the others (an over-estimate), while a deployed
 * function also bills its cold starts (not measured here).
 */
export async function invokeFunction<T>(
  definition: Pick<FunctionDefinition, 'id' | 'memoryMb'>,
  work: () => Promise<T>,
  options: { readonly httpApiRequest?: HttpApiRequestShape } = {},
): Promise<T> {
  const context = { overheadMs: 0 };
  const started = performance.now();
  try {
    return await invocation.run(context, work);
  } finally {
    const ms = Math.max(0, performance.now() - started - context.overheadMs);
    const entry = current();
    entry.lambdaInvocations += 1;
    entry.byFunction[definition.id] = (entry.byFunction[definition.id] ?? 0) + 1;
    entry.lambdaMilliseconds += ms;
    entry.lambdaGbSeconds = entry.lambdaGbSeconds.plus(
      lambdaGbSeconds(definition.memoryMb ?? DEFAULT_FUNCTION_MEMORY_MB, ms),
    );
    if (options.httpApiRequest) {
      entry.httpApiRequests += chunkedRequests(httpRequestBytes(options.httpApiRequest), 524_288);
    }
  }
}

// ---- SDK middleware ----

type Next = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;
interface Stack {
  clone(): Stack;
  add(middleware: (next: Next) => Next, options: Record<string, unknown>): void;
}

/** Marks the instrumentation's own requests, which are neither counted nor sized. */
const uncounted = new AsyncLocalStorage<true>();

/**
 * Wraps `command`'s `resolveMiddleware` (which the document client's commands also go through) so that every `send`
 * runs `observe` once, in the build step: after the document client has marshalled the input and the request is
 * serialized, before the SDK's retries (so SDK-internal retries are not counted again; retries by our code, such as a
 * transaction conflict, are, as AWS charges them). With `consumedCapacity`, the request also asks DynamoDB for the
 * capacity it consumed (added in the initialize step, before the input is serialized).
 */
function observeCommand(
  command: { prototype: object },
  observe: (input: Record<string, unknown>, send: () => ReturnType<Next>) => ReturnType<Next>,
  options: { readonly consumedCapacity?: boolean } = {},
): void {
  const prototype = command.prototype as { resolveMiddleware: (stack: Stack, ...rest: unknown[]) => unknown };
  const original = prototype.resolveMiddleware;
  prototype.resolveMiddleware = function (this: unknown, stack: Stack, ...rest: unknown[]) {
    if (uncounted.getStore()) return original.call(this, stack, ...rest);
    const observed = stack.clone();
    if (options.consumedCapacity) {
      observed.add(
        (next: Next) => (args) => next({ ...args, input: { ReturnConsumedCapacity: 'TOTAL', ...args.input } }),
        { step: 'initialize', priority: 'high', name: 'benchConsumedCapacity' },
      );
    }
    observed.add((next: Next) => (args) => observe(args.input, () => next(args)), {
      step: 'build',
      priority: 'high',
      name: 'benchOperationCounter',
    });
    return original.call(this, observed, ...rest);
  };
}

const count = (name: string) => {
  const entry = current();
  entry.byCommand[name] = (entry.byCommand[name] ?? 0) + 1;
  return entry;
};

// ---- DynamoDB ----

type Item = Record<string, AttributeValue>;
type Sized = (input: Record<string, unknown>) => number;
const batchWriteItems: Sized = (input) =>
  Object.values((input.RequestItems ?? {}) as Record<string, unknown[]>).reduce((sum, list) => sum + list.length, 0);
const batchGetKeys: Sized = (input) =>
  Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).reduce(
    (sum, request) => sum + (request.Keys?.length ?? 0),
    0,
  );
const listLength =
  (name: string): Sized =>
  (input) =>
    ((input[name] ?? []) as unknown[]).length;

/** Capacity units a response reports (`ConsumedCapacity` is one object or one per table). */
function consumedUnits(output: Record<string, unknown>): number | undefined {
  const consumed = output.ConsumedCapacity as { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
  if (consumed === undefined) return undefined;
  return (Array.isArray(consumed) ? consumed : [consumed]).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}

/**
 * A read's units as AWS bills them: DynamoDB Local's figure, except for a get, query or scan that found nothing, for
 * which DynamoDB Local reports 0 while AWS charges the minimum of the read's kind (the Query reference: "Queries that
 * do not return results consume the minimum read capacity units according to the type of read"): 0.5 eventually
 * consistent, 1 strongly consistent.
 */
function readUnits(command: string, input: Record<string, unknown>, output: Record<string, unknown>): number {
  const reported = consumedUnits(output) ?? 0;
  if (reported > 0 || !['GetItem', 'Query', 'Scan'].includes(command)) return reported;
  return input.ConsistentRead === true ? 1 : 0.5;
}

let sizingClient: DynamoDBClient | undefined;

/** A client for the instrumentation's own reads, which are not counted (`uncounted`). */
function sizing(): DynamoDBClient {
  sizingClient ??= new DynamoDBClient({
    endpoint: endpointsFromEnv().dynamodb,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return sizingClient;
}

/** What the write rules need of a table: its key and its global indexes with what they project. */
interface TableShape {
  readonly keys: readonly string[];
  readonly indexes: readonly {
    readonly name: string;
    readonly keys: readonly string[];
    /** Attributes the index holds besides the keys; undefined for ALL. */
    readonly projected?: readonly string[];
  }[];
}

const tableShapes = new Map<string, Promise<TableShape>>();

function tableShape(table: string): Promise<TableShape> {
  let shape = tableShapes.get(table);
  if (!shape) {
    shape = sizing()
      .send(new DescribeTableCommand({ TableName: table }))
      .then(({ Table }) => {
        const names = (schema: { AttributeName?: string }[] | undefined) =>
          (schema ?? []).map((k) => k.AttributeName ?? '');
        return {
          keys: names(Table?.KeySchema),
          indexes: (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
            name: index.IndexName ?? '',
            keys: names(index.KeySchema),
            ...(index.Projection?.ProjectionType === 'ALL'
              ? {}
              : { projected: index.Projection?.NonKeyAttributes ?? [] }),
          })),
        };
      });
    tableShapes.set(table, shape);
  }
  return shape;
}

/** The items at `keys` now (undefined where there is none), by strongly consistent reads that are not counted. */
function itemsAt(targets: readonly { table: string; key: Item }[]): Promise<(Item | undefined)[]> {
  return Promise.all(
    targets.map(async ({ table, key }) => {
      const answer = await sizing().send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
      return answer.Item as Item | undefined;
    }),
  );
}

/** Runs the instrumentation's own reads uncounted, and takes their time out of the invocation's duration. */
async function offTheClock<T>(work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await uncounted.run(true, work);
  } finally {
    const context = invocation.getStore();
    if (context) context.overheadMs += performance.now() - started;
  }
}

/** One item a write request touches. */
interface WriteTarget {
  readonly table: string;
  readonly key: Item;
  readonly kind: 'put' | 'update' | 'delete' | 'check';
  /** The item a put writes. */
  readonly newItem?: Item;
}

const pick = (item: Item, names: readonly string[]) =>
  JSON.stringify(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]]));

/**
 * WRUs of one item's write, by DynamoDB's rules: the table write at the larger of the item's size before and after
 * (at least 1 KB); then each global index whose entry changes: a new entry is one write of the new index item, a
 * removed one a write of the old, a moved one (index key changed) both, an entry whose projected attributes changed
 * one write of the larger. Doubled in a transaction, index writes included (the cautious reading: DynamoDB's pages
 * state the doubling for the items of a transaction and are silent on their index writes). A condition check or a
 * refused write changes nothing: it is charged the table write of the item checked (or offered) only.
 */
function writeUnits(
  shape: TableShape,
  target: WriteTarget,
  before: Item | undefined,
  after: Item | undefined,
  transactional: boolean,
  refused: boolean,
): number {
  const size = (item: Item | undefined) => (item ? itemSizeBytes(item) : 0);
  const units = (bytes: number) => writeRequestUnits(bytes, transactional);
  const tablePartition = partitionOf(target.table, target.key[shape.keys[0] ?? '']);
  if (refused || target.kind === 'check') {
    return charge(tablePartition, units(Math.max(size(before), target.newItem ? size(target.newItem) : 0)));
  }
  let total = charge(tablePartition, units(Math.max(size(before), size(after))));
  for (const index of shape.indexes) {
    const inIndex = (item: Item | undefined): item is Item =>
      item !== undefined && index.keys.every((k) => item[k] !== undefined);
    const entry = (item: Item) => {
      const names = index.projected ? [...shape.keys, ...index.keys, ...index.projected] : Object.keys(item);
      return Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n] as AttributeValue]));
    };
    const was = inIndex(before) ? entry(before) : undefined;
    const is = inIndex(after) ? entry(after) : undefined;
    // Each index write lands on the index partition of the entry it writes.
    const indexWrite = (item: Item, bytes: number) =>
      charge(partitionOf(`${target.table}/${index.name}`, item[index.keys[0] ?? '']), units(bytes));
    if (!was && is) total += indexWrite(is, itemSizeBytes(is));
    else if (was && !is) total += indexWrite(was, itemSizeBytes(was));
    else if (was && is) {
      if (pick(was, index.keys) !== pick(is, index.keys))
        total += indexWrite(was, itemSizeBytes(was)) + indexWrite(is, itemSizeBytes(is));
      else if (JSON.stringify(was) !== JSON.stringify(is))
        total += indexWrite(is, Math.max(itemSizeBytes(was), itemSizeBytes(is)));
    }
  }
  return total;
}

/**
 * Write request units per partition key while request units are counted: `<table>` or `<table>/<index>`, a space,
 * then the partition key's value. A key's share of all units is how close the workload brings it to DynamoDB's limit
 * of 1,000 write units a second per partition, which no table capacity raises (test/adapters/key-design.test.ts).
 */
const unitsByPartition = new Map<string, number>();

/** The write units counted per partition key so far (see `unitsByPartition`); a copy. */
export function writeUnitsByPartition(): Map<string, number> {
  return new Map(unitsByPartition);
}

/** Forgets the per-partition write units counted so far. */
export function resetWriteUnitsByPartition(): void {
  unitsByPartition.clear();
}

const partitionOf = (where: string, value: AttributeValue | undefined) =>
  `${where} ${value?.S ?? value?.N ?? JSON.stringify(value)}`;

function charge(partition: string, units: number): number {
  unitsByPartition.set(partition, (unitsByPartition.get(partition) ?? 0) + units);
  return units;
}

/** The items a write request touches, with the key of each put read from the table's key schema. */
async function writeTargets(command: string, input: Record<string, unknown>): Promise<WriteTarget[]> {
  const keyOf = async (table: string, item: Item) =>
    Object.fromEntries((await tableShape(table)).keys.map((name) => [name, item[name] as AttributeValue]));
  const put = async (table: string, item: Item): Promise<WriteTarget> => ({
    table,
    key: await keyOf(table, item),
    kind: 'put',
    newItem: item,
  });
  const table = input.TableName as string;
  switch (command) {
    case 'PutItem':
      return [await put(table, input.Item as Item)];
    case 'UpdateItem':
      return [{ table, key: input.Key as Item, kind: 'update' }];
    case 'DeleteItem':
      return [{ table, key: input.Key as Item, kind: 'delete' }];
    case 'BatchWriteItem':
      return Promise.all(
        Object.entries(
          (input.RequestItems ?? {}) as Record<
            string,
            { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
          >,
        ).flatMap(([name, requests]) =>
          requests.map((request) =>
            request.PutRequest
              ? put(name, request.PutRequest.Item)
              : Promise.resolve<WriteTarget>({ table: name, key: request.DeleteRequest?.Key ?? {}, kind: 'delete' }),
          ),
        ),
      );
    default:
      return Promise.all(
        ((input.TransactItems ?? []) as TransactEntry[]).map((entry) => {
          if (entry.Put) return put(entry.Put.TableName, entry.Put.Item);
          const [kind, target] = entry.Update
            ? (['update', entry.Update] as const)
            : entry.Delete
              ? (['delete', entry.Delete] as const)
              : (['check', entry.ConditionCheck as { TableName: string; Key: Item }] as const);
          return Promise.resolve<WriteTarget>({ table: target.TableName, key: target.Key, kind });
        }),
      );
  }
}

type TransactEntry = {
  Put?: { TableName: string; Item: Item };
  Update?: { TableName: string; Key: Item };
  Delete?: { TableName: string; Key: Item };
  ConditionCheck?: { TableName: string; Key: Item };
};

/**
 * Sends a write and counts its WRUs from the items it touches, read before and after (uncounted, off the clock).
 * Batch writes are charged for the items DynamoDB processed only: unprocessed ones are left out.
 */
async function countedWrite(command: string, input: Record<string, unknown>, send: () => ReturnType<Next>) {
  const targets = await offTheClock(() => writeTargets(command, input));
  const before = await offTheClock(() => itemsAt(targets));
  let refused = false;
  let result: Awaited<ReturnType<Next>> | undefined;
  try {
    result = await send();
    return result;
  } catch (error) {
    const name = (error as { name?: string }).name;
    // Refused by a condition (or a transaction cancelled by one): still charged. Anything else fails before any write.
    if (name !== 'ConditionalCheckFailedException' && name !== 'TransactionCanceledException') throw error;
    refused = true;
    throw error;
  } finally {
    if (result || refused) {
      const unprocessed = new Set(
        Object.values((result?.output.UnprocessedItems ?? {}) as Record<string, unknown[]>)
          .flat()
          .map((request) => JSON.stringify(request)),
      );
      const after = refused ? before : await offTheClock(() => itemsAt(targets));
      const transactional = command === 'TransactWriteItems';
      let units = 0;
      for (const [i, target] of targets.entries()) {
        const request = target.newItem
          ? { PutRequest: { Item: target.newItem } }
          : { DeleteRequest: { Key: target.key } };
        if (unprocessed.has(JSON.stringify(request))) continue;
        const shape = await offTheClock(() => tableShape(target.table));
        units += writeUnits(shape, target, before[i], after[i], transactional, refused);
      }
      current().writeRequestUnits += units;
    }
  }
}

let instrumentedDynamoDb = false;
let sizeWrites = false;

/**
 * Turns the sizing of DynamoDB writes (their request units) on or off from now on. Sizing reads every written item
 * before and after the write, which slows the workload down and, on two shared cores, lengthens the measured
 * durations of the other handlers running meanwhile: measure throughput and Lambda durations with it off, and request
 * units in a pass with it on (units per event do not depend on speed).
 */
export function countWriteUnits(on: boolean): void {
  sizeWrites = on;
}

/**
 * Counts every DynamoDB operation of this process, whichever client sends it (the handlers build their own clients
 * at module load): items and requests always; with `requestUnits`, also the request units AWS would bill.
 *
 * Read units: every read asks for `ReturnConsumedCapacity: 'TOTAL'` and takes DynamoDB Local's answer, which applies
 * the read rules (an eventually consistent get of a small item is 0.5 RRU, a strongly consistent one 1, a
 * transactional one 2 per 4 KB; a query is charged on the sum of its items), with AWS's minimum for a read that found
 * nothing (`readUnits`).
 * Write units are computed here (`writeUnits`), not taken from DynamoDB Local: for TransactWriteItems it reports the
 * units of one item only (3 puts of 0.4 KB report 2 WRU, not 6), and a refused conditional write reports nothing.
 * Each write's items are read before and after it, by strongly consistent reads that are neither counted nor part of
 * the measured handler duration (`invokeFunction`), but do slow the workload down: measure throughput without
 * `requestUnits`.
 */
export function instrumentDynamoDb(options: { readonly requestUnits?: boolean } = {}): void {
  if (options.requestUnits) countWriteUnits(true);
  if (instrumentedDynamoDb) return;
  instrumentedDynamoDb = true;
  const writes: [{ prototype: object }, string, Sized][] = [
    [PutItemCommand, 'PutItem', () => 1],
    [UpdateItemCommand, 'UpdateItem', () => 1],
    [DeleteItemCommand, 'DeleteItem', () => 1],
    [BatchWriteItemCommand, 'BatchWriteItem', batchWriteItems],
    [TransactWriteItemsCommand, 'TransactWriteItems', listLength('TransactItems')],
  ];
  const reads: [{ prototype: object }, string, Sized][] = [
    [GetItemCommand, 'GetItem', () => 1],
    [QueryCommand, 'Query', () => 1],
    [ScanCommand, 'Scan', () => 1],
    [BatchGetItemCommand, 'BatchGetItem', batchGetKeys],
    [TransactGetItemsCommand, 'TransactGetItems', listLength('TransactItems')],
  ];
  for (const [command, name, size] of writes) {
    observeCommand(command, (input, send) => {
      const entry = count(name);
      entry.writeItems += size(input);
      entry.writeRequests += 1;
      return sizeWrites ? countedWrite(name, input, send) : send();
    });
  }
  for (const [command, name, size] of reads) {
    observeCommand(
      command,
      async (input, send) => {
        const entry = count(name);
        entry.readRequests += size(input);
        const result = await send();
        current().readRequestUnits += readUnits(name, input, result.output);
        return result;
      },
      { consumedCapacity: true },
    );
  }
}

// ---- SQS and SNS ----

type MessageAttributes = Record<string, { DataType?: string; StringValue?: string; BinaryValue?: Uint8Array }>;

/** Bytes of a message as SQS and SNS bill them: the body plus each attribute's name, type and value. */
function messageBytes(body: string | undefined, attributes: MessageAttributes | undefined): number {
  const attributeBytes = Object.entries(attributes ?? {}).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      (value.StringValue !== undefined ? Buffer.byteLength(value.StringValue) : (value.BinaryValue?.byteLength ?? 0)),
    0,
  );
  return Buffer.byteLength(body ?? '') + attributeBytes;
}

type SqsEntry = { MessageBody?: string; MessageAttributes?: MessageAttributes };
type SnsEntry = { Message?: string; Subject?: string; MessageAttributes?: MessageAttributes };

let instrumentedMessaging = false;

/**
 * Counts SQS and SNS requests of this process as AWS bills them: per request, one per started 64 KB of its payload
 * (the sum of a batch's messages; for a receive, of the messages it returned; an empty receive is counted apart, in
 * `sqsEmptyReceives`). Only the message actions are counted
 * (send, receive, delete, change visibility, publish): the bench's own GetQueueAttributes, which watches the queue
 * drain, is not part of the workload.
 */
export function instrumentMessaging(): void {
  if (instrumentedMessaging) return;
  instrumentedMessaging = true;
  const sqsRequest =
    (name: string, payload: (input: Record<string, unknown>, output?: Record<string, unknown>) => number) =>
    async (input: Record<string, unknown>, send: () => ReturnType<Next>) => {
      count(name);
      const result = await send();
      current().sqsRequests += chunkedRequests(payload(input, result.output));
      return result;
    };
  observeCommand(
    SendMessageCommand,
    sqsRequest('SendMessage', (input) =>
      messageBytes(input.MessageBody as string, input.MessageAttributes as MessageAttributes),
    ),
  );
  observeCommand(
    SendMessageBatchCommand,
    sqsRequest('SendMessageBatch', (input) =>
      ((input.Entries ?? []) as SqsEntry[]).reduce((s, e) => s + messageBytes(e.MessageBody, e.MessageAttributes), 0),
    ),
  );
  observeCommand(ReceiveMessageCommand, async (_input, send) => {
    count('ReceiveMessage');
    const result = await send();
    const messages = (result.output.Messages ?? []) as Message[];
    const entry = current();
    if (messages.length === 0) entry.sqsEmptyReceives += 1;
    else {
      entry.sqsRequests += chunkedRequests(
        messages.reduce((s, m) => s + messageBytes(m.Body, m.MessageAttributes as MessageAttributes | undefined), 0),
      );
    }
    return result;
  });
  for (const [command, name] of [
    [DeleteMessageCommand, 'DeleteMessage'],
    [DeleteMessageBatchCommand, 'DeleteMessageBatch'],
    [ChangeMessageVisibilityCommand, 'ChangeMessageVisibility'],
    [ChangeMessageVisibilityBatchCommand, 'ChangeMessageVisibilityBatch'],
  ] as const) {
    observeCommand(
      command,
      sqsRequest(name, () => 0),
    );
  }
  const publish =
    (name: string, payload: (input: Record<string, unknown>) => number) =>
    async (input: Record<string, unknown>, send: () => ReturnType<Next>) => {
      count(name);
      const result = await send();
      current().snsPublishes += chunkedRequests(payload(input));
      return result;
    };
  const snsBytes = (e: SnsEntry) => messageBytes(e.Message, e.MessageAttributes) + Buffer.byteLength(e.Subject ?? '');
  observeCommand(
    PublishCommand,
    publish('Publish', (input) => snsBytes(input as SnsEntry)),
  );
  observeCommand(
    PublishBatchCommand,
    publish('PublishBatch', (input) =>
      ((input.PublishBatchRequestEntries ?? []) as SnsEntry[]).reduce((s, e) => s + snsBytes(e), 0),
    ),
  );
}

/**
 * `instrumentDynamoDb` with request units and `instrumentMessaging`: everything the cost model needs besides
 * `invokeFunction`. Call it before the first handler runs.
 */
export function instrumentAws(): void {
  instrumentDynamoDb({ requestUnits: true });
  instrumentMessaging();
}

/** The running stand-ins and the environment variables naming the provisioned resources. */
export interface StandIns {
  readonly endpoints: Required<AwsEndpoints>;
  readonly resources: ResourceEnv;
  /** CPU seconds (user + system) DynamoDB Local's JVM has used so far; undefined where /proc is not readable. */
  dynamoDbCpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

/** CPU seconds used so far by a process, from Linux's /proc (clock ticks of 10 ms); undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // After the command: state is field 0, so utime and stime are fields 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * DynamoDB Local's JVM options for a benchmark: both JIT compilers (`DYNAMODB_LOCAL_STEADY_STATE_JVM_OPTIONS`), or,
 * with `BENCH_DYNAMODB_JIT=quick`, the quick compiler only, as the tests and the local mode run it (to compare).
 */
function benchJvmOptions(): readonly string[] {
  const jit = process.env.BENCH_DYNAMODB_JIT ?? 'full';
  if (jit === 'full') return DYNAMODB_LOCAL_STEADY_STATE_JVM_OPTIONS;
  if (jit === 'quick') return DYNAMODB_LOCAL_JVM_OPTIONS;
  throw new Error(`BENCH_DYNAMODB_JIT must be "full" (default) or "quick", got "${jit}"`);
}

/**
 * Starts DynamoDB Local (in memory) and fauxqs, provisions the CDK app's table, queues and topics, and sets the
 * environment a deployed function gets (import handlers only after this). `stop` stops both, whatever happened.
 */
export async function startStandIns(prefix = `bench${randomUUID().slice(0, 6)}`): Promise<StandIns> {
  let dynamodb: DynamoDbLocal | undefined;
  let messaging: LocalMessaging | undefined;
  const stop = async () => {
    await Promise.allSettled([messaging?.stop(), dynamodb?.stop()]);
  };
  try {
    const jvmOptions = benchJvmOptions();
    [dynamodb, messaging] = await Promise.all([startDynamoDbLocal({ jvmOptions }), startLocalMessaging()]);
    const endpoints = { dynamodb: dynamodb.endpoint, sqs: messaging.endpoint, sns: messaging.endpoint };
    const admin = new DynamoDBClient({
      endpoint: endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const resources = await provisionLocalResources(
      { dynamodb: admin, sqs: createSqsClient(endpoints), sns: createSnsClient(endpoints) },
      prefix,
    );
    admin.destroy();
    Object.assign(process.env, {
      ...resources,
      ...localAwsEnv(endpoints),
      [ENV.catalogJson]: JSON.stringify(await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml'))),
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const pid = dynamodb.pid;
    console.log(
      `DynamoDB Local JVM: ${jvmOptions.join(' ')} (BENCH_DYNAMODB_JIT=${process.env.BENCH_DYNAMODB_JIT ?? 'full'})`,
    );
    return { endpoints, resources, dynamoDbCpuSeconds: () => processCpuSeconds(pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An SQS message in the shape Lambda's event source mapping hands to a function. */
export function toSqsRecord(message: Message, queueArn: string): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: message.MessageId ?? randomUUID(),
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: message.Attributes?.SentTimestamp ?? now,
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

/** mulberry32: a seeded generator, so a workload can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `work` on every item with at most `limit` at once. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
