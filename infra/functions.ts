import { type QueueDefinition, type TopicDefinition, USAGE_QUEUE } from '#infra/resources.ts';

/**
 * The functions, their HTTP routes and their schedules, described once. The CDK stateless stack deploys them
 * (Lambda + API Gateway HTTP API + EventBridge Scheduler) and the local mode (`infra/local/`) serves the same
 * handlers on the same routes and runs the same schedules on timers, so a route cannot exist in one and not the
 * other. Plain data only: no aws-cdk-lib imports here.
 */

/**
 * What a function may touch. The CDK app turns each entry into an environment variable plus the least IAM grant
 * for it (`infra/constructs/bind.ts`); the local mode sets the same variables. A function reads nothing else.
 */
export interface ResourceUse {
  readonly table?: 'read' | 'readWrite';
  readonly queues?: readonly { readonly queue: QueueDefinition; readonly access: 'send' | 'consume' }[];
  /** Topics it publishes to. */
  readonly topics?: readonly TopicDefinition[];
  /**
   * Talks to Microsoft's marketplace APIs (or verifies its webhook tokens): gets the Entra tenant and app ids and the
   * right to read the client secret.
   */
  readonly marketplace?: boolean;
}

/** An SQS queue that triggers a function (an event source mapping in AWS, a poller in the local mode). */
export interface QueueTrigger {
  readonly queue: QueueDefinition;
  /** Messages per invocation (≤ 10 without a batching window). */
  readonly batchSize: number;
  /** How long to gather a batch before invoking (0 = invoke at once). */
  readonly maxBatchingWindowSeconds?: number;
  /** Most concurrent invocations for this queue (2–1000); bounds the load on DynamoDB. */
  readonly maxConcurrency?: number;
}

export interface FunctionDefinition {
  /** Construct id in CDK; the name printed by the local mode. */
  readonly id: string;
  /** Handler module, relative to the repository root; it must export `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
  readonly uses: ResourceUse;
  readonly trigger?: QueueTrigger;
}

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';

export interface HttpRouteDefinition {
  /** API Gateway route path: literal segments, `{name}` parameters, and a final greedy `{proxy+}`. */
  readonly path: string;
  readonly methods: readonly HttpMethodName[];
  readonly functionId: string;
}

export interface ScheduleDefinition {
  readonly id: string;
  readonly functionId: string;
  /** Run every this many minutes (EventBridge `rate(...)`; a timer in the local mode). */
  readonly everyMinutes: number;
  readonly description: string;
}

export const API_FUNCTION: FunctionDefinition = {
  id: 'Api',
  entry: 'functions/api/handler.ts',
  description: 'Our own HTTP API (API-key protected): health, catalog, API keys, subscriptions, day packs',
  // The health check reads the usage queue's attributes, which the send grant includes.
  uses: { table: 'readWrite', queues: [{ queue: USAGE_QUEUE, access: 'send' }] },
};

/** `POST /v1/usage`: its own function so a flood of usage never competes with the API for concurrency. */
export const USAGE_INGEST_FUNCTION: FunctionDefinition = {
  id: 'UsageIngest',
  entry: 'functions/usage-ingest/handler.ts',
  description: 'Usage ingest (publisher key): validates usage events and queues them, summed per hour, for aggregation',
  // Reads API keys and subscriptions; writes only the Idempotency-Key records (the answer to each request).
  uses: { table: 'readWrite', queues: [{ queue: USAGE_QUEUE, access: 'send' }] },
};

/** Applies each usage message to the ledger exactly once (one DynamoDB transaction per message). */
export const USAGE_AGGREGATOR_FUNCTION: FunctionDefinition = {
  id: 'UsageAggregator',
  entry: 'functions/usage-aggregator/handler.ts',
  description: 'Usage aggregator: applies queued usage to the hourly, daily and monthly ledger exactly once',
  // Six times this is the usage queue's visibility timeout (180 s), as AWS recommends for SQS event sources.
  timeoutSeconds: 30,
  uses: { table: 'readWrite' },
  trigger: { queue: USAGE_QUEUE, batchSize: 10 },
};

export const FUNCTIONS: readonly FunctionDefinition[] = [
  API_FUNCTION,
  USAGE_INGEST_FUNCTION,
  USAGE_AGGREGATOR_FUNCTION,
];

export const HTTP_ROUTES: readonly HttpRouteDefinition[] = [
  { path: '/health', methods: ['GET'], functionId: API_FUNCTION.id },
  { path: '/v1/usage', methods: ['POST'], functionId: USAGE_INGEST_FUNCTION.id },
  { path: '/v1/{proxy+}', methods: ['ANY'], functionId: API_FUNCTION.id },
];

/** Scheduled handlers; later capabilities (subscription sync, usage reporter, alert checks) add theirs here. */
export const SCHEDULES: readonly ScheduleDefinition[] = [];

/** Finds the route API Gateway would pick for a request, with its route key (e.g. `ANY /v1/{proxy+}`). */
export function matchHttpRoute(
  method: string,
  path: string,
  routes: readonly HttpRouteDefinition[] = HTTP_ROUTES,
): { route: HttpRouteDefinition; routeKey: string; pathParameters: Record<string, string> } | undefined {
  const upper = method.toUpperCase();
  // API Gateway prefers the most specific route: exact methods before ANY, literal paths before greedy ones.
  const candidates = [...routes].sort((a, b) => specificity(b) - specificity(a));
  for (const route of candidates) {
    const methodMatches = route.methods.includes(upper as HttpMethodName);
    if (!methodMatches && !route.methods.includes('ANY')) continue;
    const parameters = matchPath(route.path, path);
    if (!parameters) continue;
    return { route, routeKey: `${methodMatches ? upper : 'ANY'} ${route.path}`, pathParameters: parameters };
  }
  return undefined;
}

function specificity(route: HttpRouteDefinition): number {
  const greedy = route.path.includes('+}') ? 0 : 1000;
  return greedy + route.path.split('/').length * 10 + (route.methods.includes('ANY') ? 0 : 1);
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const patternParts = pattern.split('/').filter(Boolean);
  const pathParts = path.split('/').filter(Boolean);
  const parameters: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const greedy = /^\{(\w+)\+\}$/.exec(part);
    if (greedy?.[1]) {
      if (pathParts.length <= index) return undefined;
      parameters[greedy[1]] = pathParts.slice(index).join('/');
      return parameters;
    }
    const actual = pathParts[index];
    if (actual === undefined) return undefined;
    const parameter = /^\{(\w+)\}$/.exec(part);
    if (parameter?.[1]) parameters[parameter[1]] = decodeURIComponent(actual);
    else if (part !== actual) return undefined;
  }
  return patternParts.length === pathParts.length ? parameters : undefined;
}
