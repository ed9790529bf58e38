/**
 * What the counted operations of a benchmark cost at AWS list prices (`aws-prices.json`, one dated file): the billing
 * units of each service computed from what was sent and received, and the dollars per line item and per million
 * events. Pure arithmetic, no I/O beyond reading the price file; the counting is in bench-support.ts.
 *
 * Billing units (the rules the price file's sources state):
 * - DynamoDB: an item's size is the sum of its attribute names and values (`itemSizeBytes`); a write takes one WRU per
 *   started KB of the larger of the old and new item (at least 1), twice that in a transaction; a read takes one RRU
 *   per started 4 KB strongly consistent, half that eventually consistent, twice that in a transaction.
 * - SQS and SNS: each started 64 KB chunk of a request's payload is one billed request (at least 1).
 * - HTTP API: each started 512 KB of a request is one billed request (at least 1).
 * - Lambda: one request per invocation, and GB-seconds = configured memory (GB) × duration rounded up to the ms.
 */

import { readFileSync } from 'node:fs';
import { Dec } from '#shared/domain/money.ts';

/** The price file, as read. Prices are decimal strings in US dollars. */
export interface AwsPrices {
  readonly takenOn: string;
  readonly region: string;
  readonly currency: 'USD';
  readonly lambda: {
    readonly requestsPerMillion: string;
    readonly perGbSecond: Record<LambdaArchitecture, string>;
    readonly free: { readonly requests: number; readonly gbSeconds: number };
  };
  readonly httpApi: { readonly requestsPerMillion: string; readonly meteredIncrementBytes: number };
  readonly sqs: { readonly requestsPerMillion: string; readonly chunkBytes: number; readonly freeRequests: number };
  readonly dynamodb: {
    readonly writeRequestUnitsPerMillion: string;
    readonly readRequestUnitsPerMillion: string;
    readonly storagePerGbMonth: string;
    readonly pitrPerGbMonth: string;
    readonly freeStorageGb: number;
  };
  readonly cloudwatch: {
    readonly alarmMetricMonth: string;
    readonly compositeAlarmMonth: string;
    readonly customMetricMonth: string;
    readonly dashboardMonth: string;
    readonly logsIngestedPerGb: string;
    readonly logsStoredPerGbMonth: string;
    readonly free: {
      readonly alarmMetrics: number;
      readonly customMetrics: number;
      readonly dashboards: number;
      readonly metricsPerFreeDashboard: number;
      readonly logsGb: number;
    };
  };
  readonly secretsManager: { readonly secretMonth: string; readonly apiCallsPer10k: string };
  readonly scheduler: { readonly invocationsPerMillion: string; readonly freeInvocations: number };
  readonly xray: { readonly tracesRecordedPerMillion: string; readonly freeTraces: number };
  readonly ses: { readonly emailsPerThousand: string };
  readonly sns: {
    readonly publishesPerMillion: string;
    readonly chunkBytes: number;
    readonly deliveriesPerMillion: Record<SnsDeliveryProtocol, string>;
  };
}

export type LambdaArchitecture = 'arm64' | 'x86_64';
export type SnsDeliveryProtocol = 'sqs' | 'lambda' | 'http' | 'email';

/** The price file beside this module. */
export function loadAwsPrices(path = new URL('./aws-prices.json', import.meta.url)): AwsPrices {
  return JSON.parse(readFileSync(path, 'utf8')) as AwsPrices;
}

// ---- billing units ----

/** A DynamoDB attribute value in the low-level wire shape (`{ S: 'x' }`, `{ N: '1' }`, `{ M: {...} }`, …). */
export type AttributeValueShape = Readonly<Record<string, unknown>>;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Significant digits of a DynamoDB number: leading and trailing zeros are not stored. */
function significantDigits(number: string): number {
  const digits = number
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '');
  const trimmed = digits.replace(/^0+/, '').replace(/0+$/, '');
  return Math.max(1, trimmed.length);
}

const binaryLength = (value: unknown) =>
  value instanceof Uint8Array ? value.byteLength : typeof value === 'string' ? Buffer.from(value, 'base64').length : 0;

/**
 * Size of one attribute value, by the rules of DynamoDB's "item sizes and formats": strings and binaries their bytes,
 * numbers 1 byte per two significant digits plus 1, booleans and null 1, lists and maps 3 bytes plus their elements
 * plus 1 byte per element (a map's element names counted like attribute names), sets the sum of their elements.
 */
export function attributeValueSizeBytes(value: AttributeValueShape): number {
  if (typeof value.S === 'string') return utf8(value.S);
  if (typeof value.N === 'string') return Math.ceil(significantDigits(value.N) / 2) + 1;
  if (value.B !== undefined) return binaryLength(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (Array.isArray(value.SS)) return (value.SS as string[]).reduce((sum, s) => sum + utf8(s), 0);
  if (Array.isArray(value.NS)) {
    return (value.NS as string[]).reduce((sum, n) => sum + Math.ceil(significantDigits(n) / 2) + 1, 0);
  }
  if (Array.isArray(value.BS)) return (value.BS as unknown[]).reduce<number>((sum, b) => sum + binaryLength(b), 0);
  if (Array.isArray(value.L)) {
    const list = value.L as AttributeValueShape[];
    return 3 + list.reduce((sum, element) => sum + 1 + attributeValueSizeBytes(element), 0);
  }
  if (value.M !== undefined && typeof value.M === 'object') {
    const entries = Object.entries(value.M as Record<string, AttributeValueShape>);
    return 3 + entries.reduce((sum, [name, element]) => sum + 1 + utf8(name) + attributeValueSizeBytes(element), 0);
  }
  throw new Error(`not a DynamoDB attribute value: ${JSON.stringify(value)}`);
}

/** Size of an item: the sum of its attribute names (UTF-8 bytes) and values. */
export function itemSizeBytes(item: Readonly<Record<string, object>>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + utf8(name) + attributeValueSizeBytes(value as AttributeValueShape),
    0,
  );
}

/** WRUs of one item write: 1 per started KB (at least 1), 2 per KB in a transaction. */
export function writeRequestUnits(sizeBytes: number, transactional: boolean): number {
  return Math.max(1, Math.ceil(sizeBytes / 1024)) * (transactional ? 2 : 1);
}

export type ReadKind = 'eventual' | 'strong' | 'transactional';

/** RRUs of one read of `sizeBytes` (an item, or a query's items together): per started 4 KB, by consistency. */
export function readRequestUnits(sizeBytes: number, kind: ReadKind): number {
  const blocks = Math.max(1, Math.ceil(sizeBytes / 4096));
  return blocks * { eventual: 0.5, strong: 1, transactional: 2 }[kind];
}

/** Billed requests of one SQS or SNS request carrying `payloadBytes`: one per started 64 KB chunk, at least 1. */
export function chunkedRequests(payloadBytes: number, chunkBytes = 65_536): number {
  return Math.max(1, Math.ceil(payloadBytes / chunkBytes));
}

/** GB-seconds of one invocation: memory (MB ÷ 1024) × the duration rounded up to the millisecond. */
export function lambdaGbSeconds(memoryMb: number, durationMs: number): Dec {
  return new Dec(memoryMb).dividedBy(1024).times(Math.ceil(durationMs)).dividedBy(1000);
}

// ---- dollars ----

/** What a workload used, in billing units, as the counters add them up. */
export interface BilledOperations {
  readonly lambdaInvocations: number;
  /** Sum of `lambdaGbSeconds` over the invocations (a decimal string or Dec). */
  readonly lambdaGbSeconds: Dec | string;
  /** HTTP API requests, in 512 KB increments. */
  readonly httpApiRequests: number;
  /** SQS requests, in 64 KB chunks. */
  readonly sqsRequests: number;
  readonly dynamoDbWriteRequestUnits: number;
  /** May hold halves (eventually consistent reads). */
  readonly dynamoDbReadRequestUnits: number;
  /** SNS publishes, in 64 KB chunks. */
  readonly snsPublishes: number;
  /** SNS deliveries by protocol, where known (SQS and Lambda deliveries are free). */
  readonly snsDeliveries?: Partial<Record<SnsDeliveryProtocol, number>>;
}

export interface CostLine {
  readonly item: string;
  readonly quantity: Dec;
  /** Unit of `quantity`, e.g. "requests", "GB-s", "WRU". */
  readonly unit: string;
  readonly dollars: Dec;
}

export interface Cost {
  readonly lines: readonly CostLine[];
  readonly total: Dec;
}

const perMillion = (price: string) => new Dec(price).dividedBy(1_000_000);

/** The dollars of each line item and their total, unrounded (round only for display). */
export function costOf(
  operations: BilledOperations,
  prices: AwsPrices,
  architecture: LambdaArchitecture = 'arm64',
): Cost {
  const line = (item: string, quantity: Dec | number | string, unit: string, unitPrice: Dec): CostLine => {
    const q = new Dec(quantity);
    return { item, quantity: q, unit, dollars: q.times(unitPrice) };
  };
  const lines: CostLine[] = [
    line('Lambda requests', operations.lambdaInvocations, 'requests', perMillion(prices.lambda.requestsPerMillion)),
    line(
      `Lambda duration (${architecture})`,
      operations.lambdaGbSeconds,
      'GB-s',
      new Dec(prices.lambda.perGbSecond[architecture]),
    ),
    line('HTTP API requests', operations.httpApiRequests, 'requests', perMillion(prices.httpApi.requestsPerMillion)),
    line('SQS requests', operations.sqsRequests, 'requests', perMillion(prices.sqs.requestsPerMillion)),
    line(
      'DynamoDB writes',
      operations.dynamoDbWriteRequestUnits,
      'WRU',
      perMillion(prices.dynamodb.writeRequestUnitsPerMillion),
    ),
    line(
      'DynamoDB reads',
      operations.dynamoDbReadRequestUnits,
      'RRU',
      perMillion(prices.dynamodb.readRequestUnitsPerMillion),
    ),
    line('SNS publishes', operations.snsPublishes, 'requests', perMillion(prices.sns.publishesPerMillion)),
  ];
  for (const [protocol, count] of Object.entries(operations.snsDeliveries ?? {}) as [SnsDeliveryProtocol, number][]) {
    lines.push(
      line(`SNS ${protocol} deliveries`, count, 'deliveries', perMillion(prices.sns.deliveriesPerMillion[protocol])),
    );
  }
  return { lines, total: lines.reduce((sum, l) => sum.plus(l.dollars), new Dec(0)) };
}

/** Dollars per million events: the workload's total scaled to 1,000,000 events. */
export function perMillionEvents(dollars: Dec, events: number): Dec {
  if (events <= 0) throw new Error('a cost per event needs at least one event');
  return dollars.times(1_000_000).dividedBy(events);
}

/** One measured workload: events sent `eventsPerRequest` at a time, and what they used. */
export interface CostRow {
  readonly eventsPerRequest: number;
  readonly events: number;
  readonly operations: BilledOperations;
}

const SERVICES: readonly { readonly title: string; readonly prefix: string }[] = [
  { title: 'Lambda', prefix: 'Lambda' },
  { title: 'HTTP API', prefix: 'HTTP API' },
  { title: 'SQS', prefix: 'SQS' },
  { title: 'DynamoDB', prefix: 'DynamoDB' },
  { title: 'SNS', prefix: 'SNS' },
];

const dollars = (value: Dec) => `$${value.toFixed(value.gte(1) ? 2 : 4)}`;

/**
 * The markdown table of BENCHMARKS.md: per request size, the dollars per million events by service and in total,
 * then the billing units per event the dollars come from, and a line naming the price file's date and region.
 */
export function costTable(rows: readonly CostRow[], prices: AwsPrices, architecture: LambdaArchitecture = 'arm64') {
  const header = [
    `| events per request | ${SERVICES.map((s) => s.title).join(' | ')} | **total per million events** |`,
    `|---:|${SERVICES.map(() => '---:').join('|')}|---:|`,
  ];
  const units = [
    '| events per request | Lambda invocations | Lambda GB-s | HTTP API requests | SQS requests | DynamoDB WRU | DynamoDB RRU | SNS publishes |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const body: string[] = [];
  const unitBody: string[] = [];
  for (const row of rows) {
    const cost = costOf(row.operations, prices, architecture);
    const byService = SERVICES.map((service) =>
      cost.lines.filter((l) => l.item.startsWith(service.prefix)).reduce((sum, l) => sum.plus(l.dollars), new Dec(0)),
    );
    const size = row.eventsPerRequest.toLocaleString('en-US');
    body.push(
      `| ${size} | ${byService.map((d) => dollars(perMillionEvents(d, row.events))).join(' | ')} | **${dollars(perMillionEvents(cost.total, row.events))}** |`,
    );
    const per = (value: Dec | number | string) =>
      new Dec(value).dividedBy(row.events).toSignificantDigits(3).toString();
    const o = row.operations;
    unitBody.push(
      `| ${size} | ${[o.lambdaInvocations, o.lambdaGbSeconds, o.httpApiRequests, o.sqsRequests, o.dynamoDbWriteRequestUnits, o.dynamoDbReadRequestUnits, o.snsPublishes].map(per).join(' | ')} |`,
    );
  }
  return [
    `Dollars per million events, at AWS list prices of ${prices.takenOn} (${prices.region}, on demand, Lambda on ${architecture}; test/bench/aws-prices.json):`,
    '',
    ...header,
    ...body,
    '',
    'Billing units per event:',
    '',
    ...units,
    ...unitBody,
  ].join('\n');
}
