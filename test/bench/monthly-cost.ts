/**
 * The whole stack's monthly cost at a given daily volume of usage events: ingest and aggregation (measured by
 * `npm run bench:metering`), reporting (measured by `npm run bench:reporter`), alerts, the schedules, storage, logs and
 * traces, on top of the idle cost (`idle-cost.ts`). Priced with the dated price file (`aws-prices.json`).
 *
 * The measured figures are billing units per event or per slot, taken from BENCHMARKS.md (the runs named beside each);
 * the workload (subscriptions, dimensions, request size, alerts) is an assumption of each scenario, stated with it.
 */
import { Dec } from '#shared/domain/money.ts';
import type { AwsPrices } from './cost-model.ts';
import { HOURS_PER_MONTH, type IdleCost } from './idle-cost.ts';

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/**
 * Billing units per usage event at requests of 1,000 events, ingest and aggregation together (alert evaluation after
 * aggregation included): `npm run bench:metering`, BENCHMARKS.md "metering, second generation (issue 12)", whose
 * dollars per million events (Lambda 0.0013, HTTP API 0.0010, SQS 0.0007, DynamoDB 0.0848) these units reproduce
 * with the price file (0.135 WRU and 0.0032 RRU per event; one request per 1,000 events, about 1.75 SQS requests per
 * 1,000 events with the aggregator's batches, and 1.5 invocations per 1,000 events at 256 MB for ≈ 75 GB-s a million).
 */
export const PER_EVENT = {
  httpApiRequests: 0.001,
  lambdaInvocations: 0.0015,
  lambdaGbSeconds: 0.000075,
  sqsRequests: 0.00175,
  writeUnits: 0.135,
  readUnits: 0.0032,
} as const;

/**
 * Billing units per reported slot (subscription × dimension × hour with overage): `npm run bench:reporter`,
 * BENCHMARKS.md "Reporter fan-out": 4.16 items written per slot in transactions (2 WRU per item under 1 KB), one
 * audit PutItem per subscription and metering call (0.15 per slot), 2.11 items read consistently, and the workers'
 * time: 8 workers × 640 s for 100,000 slots at 512 MB (an upper bound: the local DynamoDB was the bottleneck).
 */
export const PER_SLOT = {
  writeUnits: 4.16 * 2 + 0.15,
  readUnits: 2.11,
  lambdaGbSeconds: (8 * 640 * 0.5) / 100_000,
  lambdaInvocations: 140 / 100_000,
} as const;

/** Stored bytes the ledger keeps per reported slot (slot, meter state, its share of day/month items and audit). */
export const STORED_BYTES_PER_SLOT = 1_500;
/** The Idempotency-Key answer kept a day per request of 1,000 events (≈ 32 KB: BENCHMARKS.md). */
export const IDEMPOTENCY_BYTES_PER_REQUEST = 32_000;
/** Log bytes per ingest request (its line, Lambda's platform lines, the access log, the metrics document). */
export const LOG_BYTES_PER_REQUEST = 1_700;
/** Log bytes per aggregator or reporter invocation (summary line and platform lines). */
export const LOG_BYTES_PER_INVOCATION = 2_300;

export interface Scenario {
  readonly name: string;
  readonly eventsPerDay: number;
  readonly eventsPerRequest: number;
  /** Subscriptions sending usage, each metering `dimensions` dimensions in every hour. */
  readonly subscriptions: number;
  readonly dimensions: number;
  /** Alerts sent a month per subscription (budget thresholds, spikes), by e-mail through SES. */
  readonly alertsPerSubscription: number;
  /** Months the ledger has grown for (storage is what has accumulated, plus point-in-time recovery of it). */
  readonly monthsOfData: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: '1M events a day',
    eventsPerDay: 1_000_000,
    eventsPerRequest: 1_000,
    subscriptions: 1_000,
    dimensions: 3,
    alertsPerSubscription: 3,
    monthsOfData: 12,
  },
  {
    name: '100M events a day',
    eventsPerDay: 100_000_000,
    eventsPerRequest: 1_000,
    subscriptions: 10_000,
    dimensions: 3,
    alertsPerSubscription: 3,
    monthsOfData: 12,
  },
];

export interface MonthlyCost {
  readonly scenario: Scenario;
  readonly lines: readonly { readonly item: string; readonly dollars: Dec; readonly detail: string }[];
  readonly total: Dec;
}

const perMillion = (count: number | Dec, price: string) => new Dec(count).times(price).dividedBy(1_000_000);

/**
 * Traces X-Ray records a month for invocations at `perSecond`: Lambda's default sampling rule keeps the first request
 * each second and 5% of the rest (per function), so under one a second everything is traced.
 */
function tracedPerMonth(invocationsPerMonth: number): number {
  const perSecond = invocationsPerMonth / SECONDS_PER_MONTH;
  return (Math.min(perSecond, 1) + Math.max(0, perSecond - 1) * 0.05) * SECONDS_PER_MONTH;
}

/** The month of a scenario at list prices (no free tiers: at these volumes they are a rounding error). */
export function monthlyCost(scenario: Scenario, prices: AwsPrices, idle: IdleCost): MonthlyCost {
  const events = scenario.eventsPerDay * DAYS_PER_MONTH;
  const requests = events / scenario.eventsPerRequest;
  const slots = Math.min(events, scenario.subscriptions * scenario.dimensions * HOURS_PER_MONTH);
  const alerts = scenario.subscriptions * scenario.alertsPerSubscription;
  const arm = prices.lambda.perGbSecond.arm64;
  const lambda = (invocations: number, gbSeconds: number) =>
    perMillion(invocations, prices.lambda.requestsPerMillion).plus(new Dec(gbSeconds).times(arm));
  const dynamo = (reads: number, writes: number) =>
    perMillion(reads, prices.dynamodb.readRequestUnitsPerMillion).plus(
      perMillion(writes, prices.dynamodb.writeRequestUnitsPerMillion),
    );
  const lines: { item: string; dollars: Dec; detail: string }[] = [];
  const add = (item: string, dollars: Dec, detail: string) => lines.push({ item, dollars, detail });
  const count = (n: number) => Math.round(n).toLocaleString('en-US');

  add(
    'Ingest and aggregation',
    perMillion(events * PER_EVENT.httpApiRequests, prices.httpApi.requestsPerMillion)
      .plus(lambda(events * PER_EVENT.lambdaInvocations, events * PER_EVENT.lambdaGbSeconds))
      .plus(perMillion(events * PER_EVENT.sqsRequests, prices.sqs.requestsPerMillion))
      .plus(dynamo(events * PER_EVENT.readUnits, events * PER_EVENT.writeUnits)),
    `${count(events)} events in ${count(requests)} requests (measured units per event)`,
  );
  add(
    'Reporting to Microsoft',
    lambda(slots * PER_SLOT.lambdaInvocations, slots * PER_SLOT.lambdaGbSeconds).plus(
      dynamo(slots * PER_SLOT.readUnits, slots * PER_SLOT.writeUnits),
    ),
    `${count(slots)} slots (${scenario.subscriptions.toLocaleString('en-US')} subscriptions × ${scenario.dimensions} dimensions × ${HOURS_PER_MONTH} h)`,
  );
  add(
    'Alerts sent',
    perMillion(alerts, prices.sns.publishesPerMillion).plus(
      new Dec(alerts).times(prices.ses.emailsPerThousand).dividedBy(1_000),
    ),
    `${count(alerts)} alerts (SNS publish + one SES e-mail each; SMS priced per country, not modelled)`,
  );
  // The hourly checks read every subscription (≈ 3 RRU for its settings and totals, ≈ 5 ms of a 512 MB function) and
  // the sync one store read per subscription (≈ 2 ms at 256 MB); the rest of the schedules is the idle cost.
  const runs = HOURS_PER_MONTH;
  add(
    'Schedules beyond idle (alert checks, sync)',
    dynamo(scenario.subscriptions * runs * 4, 0).plus(
      lambda(0, scenario.subscriptions * runs * (0.005 * 0.5 + 0.002 * 0.25)),
    ),
    `${scenario.subscriptions.toLocaleString('en-US')} subscriptions read twice an hour`,
  );
  const storedGb = new Dec(slots * scenario.monthsOfData * STORED_BYTES_PER_SLOT)
    .plus(new Dec(requests / DAYS_PER_MONTH).times(IDEMPOTENCY_BYTES_PER_REQUEST))
    .dividedBy(1024 ** 3);
  add(
    'DynamoDB storage and point-in-time recovery',
    storedGb.times(prices.dynamodb.storagePerGbMonth).plus(storedGb.times(prices.dynamodb.pitrPerGbMonth)),
    `${storedGb.toFixed(1)} GB after ${scenario.monthsOfData} months (slots and their records, a day of idempotency answers)`,
  );
  const workerInvocations = events * PER_EVENT.lambdaInvocations + slots * PER_SLOT.lambdaInvocations;
  const logGb = new Dec(requests * LOG_BYTES_PER_REQUEST + workerInvocations * LOG_BYTES_PER_INVOCATION).dividedBy(
    1024 ** 3,
  );
  add(
    'CloudWatch Logs',
    logGb.times(prices.cloudwatch.logsIngestedPerGb).plus(logGb.times(prices.cloudwatch.logsStoredPerGbMonth)),
    `${logGb.toFixed(2)} GB ingested, kept a month`,
  );
  const traced = tracedPerMonth(requests) + tracedPerMonth(workerInvocations - requests);
  add(
    'X-Ray traces',
    perMillion(traced, prices.xray.tracesRecordedPerMillion),
    `${count(traced)} traces (first request a second per function, then 5%)`,
  );
  add('Idle cost (defaults)', idle.total, 'alarms, secrets, dashboard, schedules at rest, queue polling: docs/cost.md');
  return { scenario, lines, total: lines.reduce((sum, line) => sum.plus(line.dollars), new Dec(0)) };
}

/** The markdown table of BENCHMARKS.md and docs/cost.md: one column per scenario. */
export function monthlyCostTable(costs: readonly MonthlyCost[]): string {
  const items = costs[0]?.lines.map((line) => line.item) ?? [];
  const cell = (value: Dec) => `$${value.toFixed(2)}`;
  const perMillionEvents = (cost: MonthlyCost) =>
    cost.total.dividedBy((cost.scenario.eventsPerDay * DAYS_PER_MONTH) / 1_000_000);
  return [
    `| a month | ${costs.map((cost) => cost.scenario.name).join(' | ')} |`,
    `| --- | ${costs.map(() => '---:').join(' | ')} |`,
    ...items.map(
      (item) =>
        `| ${item} | ${costs.map((cost) => cell(cost.lines.find((line) => line.item === item)?.dollars ?? new Dec(0))).join(' | ')} |`,
    ),
    `| **total** | ${costs.map((cost) => `**${cell(cost.total)}**`).join(' | ')} |`,
    `| per million events | ${costs.map((cost) => `$${perMillionEvents(cost).toFixed(3)}`).join(' | ')} |`,
  ].join('\n');
}
