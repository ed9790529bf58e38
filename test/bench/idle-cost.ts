/**
 * What the deployed system costs a month when nobody uses it, computed from the synthesized templates (what is
 * deployed: alarms, secrets, dashboards, schedules, queue triggers, functions) and the dated price file
 * (`aws-prices.json`). docs/cost.md shows the lines; test/infra/idle-cost.test.ts holds the figure written there to
 * this computation, so anything with a monthly fee added to the stacks changes the documented figure or fails.
 *
 * Pure arithmetic over template JSON; the assumptions that are not in a template (how long an idle run takes, how
 * much it logs) are stated in `IDLE_RUN_ASSUMPTIONS` with where they come from.
 */
import { USAGE_REPORT_DISPATCHER_FUNCTION, USAGE_REPORTER_FUNCTION } from '#infra/functions.ts';
import { Dec } from '#shared/domain/money.ts';
import type { AwsPrices } from './cost-model.ts';

/** The hours of a month in AWS's price calculations (365 × 24 ÷ 12). */
export const HOURS_PER_MONTH = 730;
const MINUTES_PER_MONTH = HOURS_PER_MONTH * 60;

/**
 * Polling of an SQS event source mapping while its queue is empty. AWS's Lambda developer guide ("Configuring scaling
 * behavior for SQS event source mappings"): Lambda long-polls the queue; "when traffic is low, Lambda scales back the
 * processing to five concurrent batches, and can optimize to as few as 2 concurrent batches to reduce the SQS calls
 * and corresponding costs. However, this optimization is not available when you enable the maximum concurrency
 * setting." Each poller holds a ReceiveMessage open for the longest wait SQS allows (20 s), so it makes 3 billed
 * requests a minute while the queue is empty.
 *
 * So a trigger with a maximum concurrency is priced at 5 pollers, and one without at 2: "as few as 2" is what AWS
 * says it can get down to, not a promise, so the SQS line also states the worst case, every trigger at 5
 * (`worstCasePollers`).
 */
export const SQS_IDLE_POLLERS = { withMaximumConcurrency: 5, withoutMaximumConcurrency: 2 } as const;
export const SQS_RECEIVES_PER_POLLER_MINUTE = 3;

/** What one run of a scheduled function (or of a worker it starts) uses on an idle system. */
export interface IdleRun {
  /** Billed duration of one idle run (init included when cold: Lambda bills the init phase since August 2025). */
  readonly durationMs: number;
  /** Reads and writes (request units) one idle run makes. */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** SQS requests one idle run makes (sends, and for queue-triggered workers the delete). */
  readonly sqsRequests: number;
  /** Log bytes one idle run writes (its lines and Lambda's START/END/REPORT lines). */
  readonly logBytes: number;
}

/**
 * Idle runs by function construct id: the scheduled functions, and the reporter's worker that an idle dispatch
 * invokes (`workersPerIdleDispatch`). Durations: the init measured by `npm run bench:cold-start` (BENCHMARKS.md,
 * 104–383 ms, taken as cold on every hourly or daily run and half the 10-minute ones) plus the work (a few DynamoDB
 * queries, or an Entra token and one List/Retrieval call for the functions that call Microsoft). Request units: the
 * queries and records each run makes on an empty system; the reporter's are measured against DynamoDB Local by
 * test/adapters/idle-reporting-run.test.ts (the dispatcher: one query of 0.5 RRU per shard, the run and its one shard
 * recorded in a batch; the worker: its lease put and deleted, its shard record marked running then finished, its
 * shard's index and the run read). The dispatcher also reads the schedules' runs (one query of 0.5 RRU: a handful of
 * items), and every other scheduled run notes its start (one UpdateItem of under 1 KB, 1 WRU: shared/adapters/dynamodb/
 * dynamo-schedule-runs.ts). The others make a few empty queries. Logs: the run's summary line (≈ 1 KB,
 * the workers' up to 2 KB with their summary) and Lambda's three platform lines (≈ 0.3 KB). Estimates otherwise,
 * stated so they can be checked against a deployed system's billing.
 */
export const IDLE_RUN_ASSUMPTIONS: Readonly<Record<string, IdleRun>> = {
  UsageReportDispatcher: { durationMs: 300, readUnits: 4.5, writeUnits: 2, sqsRequests: 1, logBytes: 1_300 },
  UsageReporter: { durationMs: 250, readUnits: 1.5, writeUnits: 4, sqsRequests: 1, logBytes: 2_300 },
  // Two empty index queries (Subscribed, Suspended); its run noted.
  AlertChecks: { durationMs: 400, readUnits: 1, writeUnits: 1, sqsRequests: 0, logBytes: 1_300 },
  // Nothing listed by Microsoft; one empty index query (purchases pending their activation); its run noted.
  SubscriptionSync: { durationMs: 1_500, readUnits: 0.5, writeUnits: 1, sqsRequests: 0, logBytes: 1_300 },
  // Yesterday's reported totals: 8 shard partitions and the one from before the shards, strongly consistent; its run
  // noted.
  UsageReconciler: { durationMs: 2_000, readUnits: 9, writeUnits: 1, sqsRequests: 0, logBytes: 1_300 },
  // Hourly: a new Entra token every run (no cache, on purpose), the landing page opened, the client secret's SSM
  // parameter read (GetParameter, free within the standard throughput; one KMS decrypt, within KMS's free 20,000);
  // its failures in a row read (strongly consistent, 1 RRU; written only when they change) and its run noted.
  EntraCanary: { durationMs: 1_200, readUnits: 1, writeUnits: 1, sqsRequests: 0, logBytes: 1_300 },
};

export interface IdleCostOptions {
  /**
   * Worker invocations each idle dispatch causes: a scheduled run that finds every shard of the unreported index
   * empty queues one shard only (shared/use-cases/metering/dispatch-usage-report.ts), not all UNREPORTED_SHARDS.
   */
  readonly workersPerIdleDispatch: number;
  /** The function a dispatch fans out to, and the function that dispatches (construct ids). */
  readonly fanOut: { readonly from: string; readonly to: string };
  /** Custom metrics an idle system publishes (0 since counts are published only when non-zero). */
  readonly idleCustomMetrics: number;
}

/** The options of the deployed system: its reporter's fan-out, and no custom metric published when idle. */
export const IDLE_COST_OPTIONS: IdleCostOptions = {
  workersPerIdleDispatch: 1,
  fanOut: { from: USAGE_REPORT_DISPATCHER_FUNCTION.id, to: USAGE_REPORTER_FUNCTION.id },
  idleCustomMetrics: 0,
};

/** A CloudFormation template as JSON (`Template.toJSON()` or a `cdk.out` file). */
// biome-ignore lint/suspicious/noExplicitAny: resource properties are free-form JSON, read defensively below.
export type TemplateJson = { readonly Resources?: Record<string, { Type: string; Properties?: any }> };

/** What the templates deploy that costs something when idle. */
export interface IdleInventory {
  readonly alarms: number;
  /** Metrics read by the alarms (the billing unit): one per plain alarm, one per metric of a math alarm. */
  readonly alarmMetrics: number;
  readonly compositeAlarms: number;
  readonly secrets: number;
  /** Metrics referenced by each dashboard (the free tier covers 3 dashboards of up to 50 metrics). */
  readonly dashboardMetrics: readonly number[];
  /** Scheduled runs a month, by target function construct id. */
  readonly scheduledRuns: Readonly<Record<string, number>>;
  /** Memory (MB) of each function, by construct id. */
  readonly memoryMb: Readonly<Record<string, number>>;
  /** Event source mappings on SQS, and whether each sets a maximum concurrency. */
  readonly queueTriggers: readonly { readonly maximumConcurrency: boolean }[];
  /** Functions with X-Ray tracing on (every invocation of an idle system is sampled: under 1 a second). */
  readonly tracedFunctions: readonly string[];
}

/** The construct id of a function from its logical id (`<id>Function<hash>`), among the ids given. */
function functionIdOf(logicalId: string, functionIds: readonly string[]): string | undefined {
  return [...functionIds].sort((a, b) => b.length - a.length).find((id) => logicalId.startsWith(`${id}Function`));
}

/** Counts what costs money at rest in the templates. `functionIds` are the construct ids of `FUNCTIONS`. */
export function inventoryOf(templates: readonly TemplateJson[], functionIds: readonly string[]): IdleInventory {
  const resources = templates.flatMap((template) => Object.entries(template.Resources ?? {}));
  const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
  const alarms = ofType('AWS::CloudWatch::Alarm');
  const memoryMb: Record<string, number> = {};
  const traced: string[] = [];
  const functionByLogicalId = new Map<string, string>();
  for (const [logicalId, resource] of ofType('AWS::Lambda::Function')) {
    const id = functionIdOf(logicalId, functionIds);
    if (!id) continue;
    functionByLogicalId.set(logicalId, id);
    memoryMb[id] = Number(resource.Properties?.MemorySize ?? 128);
    if (resource.Properties?.TracingConfig?.Mode === 'Active') traced.push(id);
  }
  const scheduledRuns: Record<string, number> = {};
  for (const [, schedule] of ofType('AWS::Scheduler::Schedule')) {
    const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(String(schedule.Properties?.ScheduleExpression));
    const target = schedule.Properties?.Target?.Arn?.['Fn::GetAtt']?.[0];
    const id = functionByLogicalId.get(String(target));
    if (!match || !id) throw new Error(`cannot price schedule ${JSON.stringify(schedule.Properties)}`);
    const minutes = Number(match[1]) * { minute: 1, hour: 60, day: 1440 }[match[2] as 'minute' | 'hour' | 'day'];
    scheduledRuns[id] = (scheduledRuns[id] ?? 0) + MINUTES_PER_MONTH / minutes;
  }
  return {
    alarms: alarms.length,
    alarmMetrics: alarms.reduce((sum, [, alarm]) => {
      const metrics = alarm.Properties?.Metrics as { MetricStat?: unknown }[] | undefined;
      return sum + (metrics ? metrics.filter((m) => m.MetricStat !== undefined).length : 1);
    }, 0),
    compositeAlarms: ofType('AWS::CloudWatch::CompositeAlarm').length,
    secrets: ofType('AWS::SecretsManager::Secret').length,
    dashboardMetrics: ofType('AWS::CloudWatch::Dashboard').map(([, dashboard]) =>
      countDashboardMetrics(dashboard.Properties?.DashboardBody),
    ),
    scheduledRuns,
    memoryMb,
    queueTriggers: ofType('AWS::Lambda::EventSourceMapping')
      .filter(([, mapping]) => JSON.stringify(mapping.Properties?.EventSourceArn ?? '').length > 0)
      .map(([, mapping]) => ({
        maximumConcurrency: mapping.Properties?.ScalingConfig?.MaximumConcurrency !== undefined,
      })),
    tracedFunctions: traced,
  };
}

/** Metric lines of a dashboard body (its `metrics` arrays), whatever tokens the body holds. */
function countDashboardMetrics(body: unknown): number {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // Each metric line starts an array with a namespace ("AWS/…" or ours); labels and options follow it.
  return (text.match(/\[\\?"(AWS\/[A-Za-z]+|MarketplaceMetering)\\?"/g) ?? []).length;
}

export interface IdleCostLine {
  readonly item: string;
  /** How the figure is made, for docs/cost.md. */
  readonly arithmetic: string;
  /** At list prices, no free tier. */
  readonly dollars: Dec;
  /** After the always-free tiers (an account that uses them for nothing else). */
  readonly afterFreeTier: Dec;
}

export interface IdleCost {
  readonly lines: readonly IdleCostLine[];
  readonly total: Dec;
  readonly totalAfterFreeTier: Dec;
}

const usd = (value: Dec) => value.toFixed(2);

/** The monthly cost of the inventory at rest, line by line. */
export function idleCost(inventory: IdleInventory, prices: AwsPrices, options: IdleCostOptions): IdleCost {
  const lines: IdleCostLine[] = [];
  const add = (item: string, arithmetic: string, dollars: Dec, afterFreeTier: Dec = dollars) =>
    lines.push({ item, arithmetic, dollars, afterFreeTier: Dec.max(afterFreeTier, new Dec(0)) });
  const cw = prices.cloudwatch;

  add(
    'CloudWatch alarms',
    `${inventory.alarms} alarms reading ${inventory.alarmMetrics} metrics × USD ${cw.alarmMetricMonth}` +
      (inventory.compositeAlarms > 0
        ? ` + ${inventory.compositeAlarms} composite × USD ${cw.compositeAlarmMonth}`
        : ''),
    new Dec(inventory.alarmMetrics)
      .times(cw.alarmMetricMonth)
      .plus(new Dec(inventory.compositeAlarms).times(cw.compositeAlarmMonth)),
    new Dec(Math.max(0, inventory.alarmMetrics - cw.free.alarmMetrics))
      .times(cw.alarmMetricMonth)
      .plus(new Dec(inventory.compositeAlarms).times(cw.compositeAlarmMonth)),
  );
  add(
    'Secrets Manager',
    inventory.secrets === 0
      ? '0 secrets: the Entra client secrets are SSM standard SecureString parameters (no charge), the session key a table item'
      : `${inventory.secrets} secrets × USD ${prices.secretsManager.secretMonth}`,
    new Dec(inventory.secrets).times(prices.secretsManager.secretMonth),
  );
  const dashboards = inventory.dashboardMetrics.length;
  const freeDashboards = inventory.dashboardMetrics.filter((count) => count <= cw.free.metricsPerFreeDashboard).length;
  add(
    'CloudWatch dashboard',
    dashboards === 0
      ? 'none (-c dashboard=false)'
      : `${dashboards} × USD ${cw.dashboardMonth} (${inventory.dashboardMetrics.join(', ')} metrics; free: up to ${cw.free.dashboards} of ≤ ${cw.free.metricsPerFreeDashboard} metrics)`,
    new Dec(dashboards).times(cw.dashboardMonth),
    new Dec(dashboards - Math.min(freeDashboards, cw.free.dashboards)).times(cw.dashboardMonth),
  );
  add(
    'CloudWatch custom metrics',
    `${options.idleCustomMetrics} published when idle (counts only when non-zero) × USD ${cw.customMetricMonth}`,
    new Dec(options.idleCustomMetrics).times(cw.customMetricMonth),
    new Dec(Math.max(0, options.idleCustomMetrics - cw.free.customMetrics)).times(cw.customMetricMonth),
  );

  // Runs a month per function: the schedules, and the workers each dispatch fans out to.
  const runs: Record<string, number> = { ...inventory.scheduledRuns };
  const dispatches = inventory.scheduledRuns[options.fanOut.from] ?? 0;
  runs[options.fanOut.to] = (runs[options.fanOut.to] ?? 0) + dispatches * options.workersPerIdleDispatch;
  let invocations = 0;
  let gbSeconds = new Dec(0);
  let readUnits = 0;
  let writeUnits = 0;
  let sqsRequests = 0;
  let logBytes = 0;
  const runText: string[] = [];
  for (const [id, count] of Object.entries(runs)) {
    const run = IDLE_RUN_ASSUMPTIONS[id];
    if (!run) throw new Error(`no idle-run assumption for scheduled function ${id} (test/bench/idle-cost.ts)`);
    const memory = inventory.memoryMb[id] ?? 256;
    invocations += count;
    gbSeconds = gbSeconds.plus(new Dec(memory).dividedBy(1024).times(run.durationMs).dividedBy(1000).times(count));
    readUnits += run.readUnits * count;
    writeUnits += run.writeUnits * count;
    sqsRequests += run.sqsRequests * count;
    logBytes += run.logBytes * count;
    runText.push(`${id} ${Math.round(count).toLocaleString('en-US')} × ${run.durationMs} ms × ${memory} MB`);
  }
  const lambdaRequests = new Dec(invocations).times(prices.lambda.requestsPerMillion).dividedBy(1_000_000);
  const lambdaDuration = gbSeconds.times(prices.lambda.perGbSecond.arm64);
  add(
    'Lambda (scheduled runs)',
    `${Math.round(invocations).toLocaleString('en-US')} invocations, ${gbSeconds.toFixed(0)} GB-s (${runText.join('; ')})`,
    lambdaRequests.plus(lambdaDuration),
    invocations <= prices.lambda.free.requests && gbSeconds.lte(prices.lambda.free.gbSeconds)
      ? new Dec(0)
      : lambdaRequests.plus(lambdaDuration),
  );
  const schedulerInvocations = Object.values(inventory.scheduledRuns).reduce((sum, count) => sum + count, 0);
  add(
    'EventBridge Scheduler',
    `${Math.round(schedulerInvocations).toLocaleString('en-US')} invocations × USD ${prices.scheduler.invocationsPerMillion} per million`,
    new Dec(schedulerInvocations).times(prices.scheduler.invocationsPerMillion).dividedBy(1_000_000),
    new Dec(Math.max(0, schedulerInvocations - prices.scheduler.freeInvocations))
      .times(prices.scheduler.invocationsPerMillion)
      .dividedBy(1_000_000),
  );
  const pollers = inventory.queueTriggers.reduce(
    (sum, trigger) =>
      sum +
      (trigger.maximumConcurrency
        ? SQS_IDLE_POLLERS.withMaximumConcurrency
        : SQS_IDLE_POLLERS.withoutMaximumConcurrency),
    0,
  );
  const capped = inventory.queueTriggers.filter((trigger) => trigger.maximumConcurrency).length;
  const receives = pollers * SQS_RECEIVES_PER_POLLER_MINUTE * MINUTES_PER_MONTH;
  const sqsTotal = receives + sqsRequests;
  const sqsDollars = (requests: number) => new Dec(requests).times(prices.sqs.requestsPerMillion).dividedBy(1_000_000);
  const sqsAfterFree = (requests: number) => sqsDollars(Math.max(0, requests - prices.sqs.freeRequests));
  const worst = worstCasePollers(inventory);
  const worstTotal = worst * SQS_RECEIVES_PER_POLLER_MINUTE * MINUTES_PER_MONTH + sqsRequests;
  add(
    'SQS (queue triggers polling, shard messages)',
    `${inventory.queueTriggers.length} triggers: ${capped} with a maximum concurrency × ${SQS_IDLE_POLLERS.withMaximumConcurrency} pollers, ` +
      `${inventory.queueTriggers.length - capped} without × ${SQS_IDLE_POLLERS.withoutMaximumConcurrency} ("as few as 2"); ` +
      `${pollers} pollers × 3 receives a minute × ${MINUTES_PER_MONTH.toLocaleString('en-US')} min = ${receives.toLocaleString('en-US')} + ${Math.round(sqsRequests).toLocaleString('en-US')} sends/deletes ` +
      `(at worst ${worst} pollers: USD ${usd(sqsDollars(worstTotal))}, ${usd(sqsAfterFree(worstTotal))} after the free tier)`,
    sqsDollars(sqsTotal),
    sqsAfterFree(sqsTotal),
  );
  add(
    'DynamoDB requests (scheduled runs)',
    `${Math.round(readUnits).toLocaleString('en-US')} RRU + ${Math.round(writeUnits).toLocaleString('en-US')} WRU`,
    new Dec(readUnits)
      .times(prices.dynamodb.readRequestUnitsPerMillion)
      .plus(new Dec(writeUnits).times(prices.dynamodb.writeRequestUnitsPerMillion))
      .dividedBy(1_000_000),
  );
  const logGb = new Dec(logBytes).dividedBy(1024 ** 3);
  const logDollars = logGb.times(cw.logsIngestedPerGb).plus(logGb.times(cw.logsStoredPerGbMonth));
  add(
    'CloudWatch Logs',
    `${logGb.times(1024).toFixed(0)} MB ingested (and kept a month) × USD ${cw.logsIngestedPerGb} per GB + ${cw.logsStoredPerGbMonth} per GB-month`,
    logDollars,
    logGb.lte(cw.free.logsGb) ? new Dec(0) : logDollars,
  );
  const traced = Object.entries(runs)
    .filter(([id]) => inventory.tracedFunctions.includes(id))
    .reduce((sum, [, count]) => sum + count, 0);
  add(
    'X-Ray traces',
    `${Math.round(traced).toLocaleString('en-US')} traced invocations × USD ${prices.xray.tracesRecordedPerMillion} per million`,
    new Dec(traced).times(prices.xray.tracesRecordedPerMillion).dividedBy(1_000_000),
    new Dec(Math.max(0, traced - prices.xray.freeTraces))
      .times(prices.xray.tracesRecordedPerMillion)
      .dividedBy(1_000_000),
  );
  add('API Gateway, SNS, KMS', 'nothing when idle (per request; AWS-managed keys have no monthly fee)', new Dec(0));

  return {
    lines,
    total: lines.reduce((sum, line) => sum.plus(line.dollars), new Dec(0)),
    totalAfterFreeTier: lines.reduce((sum, line) => sum.plus(line.afterFreeTier), new Dec(0)),
  };
}

/** Pollers if every trigger kept 5, as a capped one does (Lambda's "as few as 2" is an optimization, not a promise). */
export function worstCasePollers(inventory: Pick<IdleInventory, 'queueTriggers'>): number {
  return inventory.queueTriggers.length * SQS_IDLE_POLLERS.withMaximumConcurrency;
}

/** The markdown table of docs/cost.md. */
export function idleCostTable(cost: IdleCost): string {
  const rows = cost.lines.map(
    (line) => `| ${line.item} | ${line.arithmetic} | ${usd(line.dollars)} | ${usd(line.afterFreeTier)} |`,
  );
  return [
    '| item | arithmetic | USD a month | after free tiers |',
    '| --- | --- | ---: | ---: |',
    ...rows,
    `| **total** | | **${usd(cost.total)}** | **${usd(cost.totalAfterFreeTier)}** |`,
  ].join('\n');
}
