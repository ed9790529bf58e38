export type { paths } from './api-types.ts';
export {
  type Budget,
  type BudgetRequest,
  createMeteringClient,
  type MeteringClient,
  type MeteringClientOptions,
  type RequestOptions,
  type Subscription,
  type SubscriptionUsage,
  type SubscriptionUsageQuery,
  type UsageAnswer,
  type UsageEvent,
  type UsageEventResult,
  type UsageRequest,
} from './client.ts';
export { MeteringApiError, MeteringNetworkError, parseRetryAfter } from './errors.ts';
export { type CloseOnShutdownOptions, closeOnShutdown } from './shutdown.ts';
export {
  type AppUsageEvent,
  createUsageBatcher,
  MAX_EVENTS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  type RejectedUsageEvent,
  type SentUsageEvent,
  type UsageBatcher,
  type UsageBatcherOptions,
  type UsageBatcherStats,
  type UsageBatchResult,
} from './usage-batcher.ts';
