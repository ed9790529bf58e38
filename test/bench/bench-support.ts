/**
 * What the pipeline benchmarks share: the machine line, the local stand-ins (DynamoDB Local in memory, fauxqs) with
 * the CDK app's resources and the handlers' environment, a DynamoDB operation counter, and a few small helpers.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { type DynamoDbLocal, startDynamoDbLocal } from '#infra/local/dynamodb-local.ts';
import { type LocalMessaging, startLocalMessaging } from '#infra/local/fauxqs.ts';
import { localAwsEnv } from '#infra/local/function-env.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { provisionLocalResources, type ResourceEnv } from '#infra/local/provision.ts';
import { type AwsEndpoints, createSnsClient, createSqsClient } from '#shared/adapters/aws-clients.ts';
import { ENV } from '#shared/env-names.ts';

/** "2 × Intel(R) Xeon(R) … · Node v20.x · linux x64": printed first by every benchmark. */
export function machineLine(): string {
  const all = cpus();
  return `${all.length} × ${all[0]?.model.trim() ?? 'unknown CPU'} · Node ${process.version} · ${process.platform} ${process.arch}`;
}

/** DynamoDB items written and read requests made, attributed to the phase running (see `inPhase`). */
export interface OperationCounts {
  /** Items written: 1 per PutItem/UpdateItem/DeleteItem, one per entry of TransactWriteItems/BatchWriteItem. */
  writeItems: number;
  /** Write requests (calls). */
  writeRequests: number;
  /** Read requests (GetItem, Query, Scan; BatchGetItem/TransactGetItems count one per key). */
  readRequests: number;
  /** Requests by command name, e.g. `TransactWriteItems`. */
  readonly byCommand: Record<string, number>;
}

const phase = new AsyncLocalStorage<string>();
const counts = new Map<string, OperationCounts>();

/** Runs `work` with its DynamoDB operations (and those of everything it awaits) counted under `name`. */
export function inPhase<T>(name: string, work: () => Promise<T>): Promise<T> {
  return phase.run(name, work);
}

/** The counts of a phase so far (operations outside any phase are counted under `other`). */
export function countsOf(name: string): OperationCounts {
  let entry = counts.get(name);
  if (!entry) {
    entry = { writeItems: 0, writeRequests: 0, readRequests: 0, byCommand: {} };
    counts.set(name, entry);
  }
  return entry;
}

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

let instrumented = false;

/**
 * Counts every DynamoDB operation of this process, whichever client sends it (the handlers build their own clients
 * at module load): each low-level command class's `resolveMiddleware`, which the document client's commands also go
 * through, is wrapped once per `send`. SDK-internal retries of one `send` are not counted again; retries by our code
 * (a transaction conflict) are, as DynamoDB charges them.
 */
export function instrumentDynamoDb(): void {
  if (instrumented) return;
  instrumented = true;
  const writes: [{ prototype: object }, string, Sized][] = [
    [PutItemCommand, 'PutItem', () => 1],
    [UpdateItemCommand, 'UpdateItem', () => 1],
    [DeleteItemCommand, 'DeleteItem', () => 1],
    [TransactWriteItemsCommand, 'TransactWriteItems', listLength('TransactItems')],
    [BatchWriteItemCommand, 'BatchWriteItem', batchWriteItems],
  ];
  const reads: [{ prototype: object }, string, Sized][] = [
    [GetItemCommand, 'GetItem', () => 1],
    [QueryCommand, 'Query', () => 1],
    [ScanCommand, 'Scan', () => 1],
    [BatchGetItemCommand, 'BatchGetItem', batchGetKeys],
    [TransactGetItemsCommand, 'TransactGetItems', listLength('TransactItems')],
  ];
  for (const [command, name, size, kind] of [
    ...writes.map((entry) => [...entry, 'write'] as const),
    ...reads.map((entry) => [...entry, 'read'] as const),
  ]) {
    const prototype = command.prototype as { resolveMiddleware: (...args: unknown[]) => unknown };
    const original = prototype.resolveMiddleware;
    prototype.resolveMiddleware = function (this: { input: Record<string, unknown> }, ...args: unknown[]) {
      const entry = countsOf(phase.getStore() ?? 'other');
      const items = size(this.input ?? {});
      if (kind === 'write') {
        entry.writeItems += items;
        entry.writeRequests += 1;
      } else entry.readRequests += items;
      entry.byCommand[name] = (entry.byCommand[name] ?? 0) + 1;
      return original.apply(this, args);
    };
  }
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
    [dynamodb, messaging] = await Promise.all([startDynamoDbLocal(), startLocalMessaging()]);
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
      [ENV.catalogPath]: join(REPO_ROOT, 'infra/catalog/catalog.yaml'),
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const pid = dynamodb.pid;
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
