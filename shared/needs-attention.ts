/**
 * The counts that need an operator, and the one metric they all add to.
 *
 * Each count below is published by its function (namespace `MarketplaceMetering`, dimension `service`) only when it
 * is not zero, and the same number is added to `NeedsAttention`, published without any dimension. One alarm
 * (`NeedsAttentionAlarm`, infra/stacks/stateless-stack.ts) watches that metric instead of one alarm per count: each
 * alarm metric costs USD 0.10 a month whether or not anything happens (docs/cost.md). The dashboard's "Needs
 * attention" widget and the runbook (docs/operate.md `### NeedsAttentionAlarm`, one `#### <count>` per entry) say
 * which count it was.
 *
 * Plain data, imported by the functions (`addCount` in shared/observability.ts) and by the stacks (alarm, dashboard),
 * so the two cannot disagree on what pages. A condition that used to be an alarm threshold on a gauge (the age of the
 * oldest unreported usage, the days left on the Entra credential) is decided by the function that measures it, which
 * then adds a count here.
 */

/** The metric every count below adds to; published with no dimension. */
export const NEEDS_ATTENTION_METRIC = 'NeedsAttention';

export interface NeedsAttentionCount {
  /** The function that publishes it (its `service` dimension). */
  readonly service: string;
  /** The metric name, also the `#### <metric>` entry of the runbook. */
  readonly metric: string;
  /** One line for the dashboard and the alarm description. */
  readonly meaning: string;
}

export const NEEDS_ATTENTION_COUNTS = [
  {
    service: 'usage-reporter',
    metric: 'MeteringRejected',
    meaning: 'Microsoft rejected usage as misconfigured (dimension, quantity, plan, authorization)',
  },
  { service: 'usage-reporter', metric: 'ReportingBlocked', meaning: 'usage cannot be rated (catalog mismatch)' },
  { service: 'usage-reporter', metric: 'UnreportableCarry', meaning: 'late usage of a cancelled subscription' },
  { service: 'usage-reporter', metric: 'ExpiredAfterRetry', meaning: 'Expired after a resend: check it was billed' },
  {
    service: 'usage-reporter',
    metric: 'DuplicateQuantityMismatch',
    meaning: 'Microsoft holds another quantity for an hour we reported',
  },
  {
    service: 'usage-reporter',
    metric: 'UnreportedUsageOverdue',
    meaning: 'overage has waited more than 20 hours to be reported',
  },
  {
    service: 'usage-reconciler',
    metric: 'ReconcileDifferences',
    meaning: 'the ledger and Microsoft disagree on some hours',
  },
  {
    service: 'subscription-sync',
    metric: 'SubscriptionSyncFailures',
    meaning: 'a subscription could not be synced, or a run ran out of time',
  },
  { service: 'alert-checks', metric: 'AlertChecksIncomplete', meaning: 'the hourly alert check did not finish' },
  { service: 'alert-checks', metric: 'AlertEvaluationsFailed', meaning: 'alert evaluations failed (hourly check)' },
  {
    service: 'usage-aggregator',
    metric: 'AlertEvaluationsFailed',
    meaning: 'alert evaluations failed (after usage)',
  },
  {
    service: 'fulfillment-webhook',
    metric: 'UnknownWebhookAction',
    meaning: 'Microsoft sent a webhook action this system does not know',
  },
  {
    service: 'fulfillment-webhook',
    metric: 'WebhookRefusingCalls',
    meaning: "a genuine call of Microsoft's marketplace was refused (tenant or app id mismatch)",
  },
  {
    service: 'alert-notifier',
    metric: 'AlertDeliveryLate',
    meaning: 'a channel still refuses an alert after several attempts',
  },
  {
    service: 'entra-canary',
    metric: 'EntraCanaryFailed',
    meaning: 'the Entra token, the landing page or the credential check failed twice in a row',
  },
  {
    service: 'entra-canary',
    metric: 'EntraCredentialExpiring',
    meaning: 'the Entra credential expires in 30 days or fewer',
  },
  {
    service: 'usage-report-dispatcher',
    metric: 'ScheduleOverdue',
    meaning: 'a schedule has not run for two of its intervals and an hour (disabled, deleted, or not starting)',
  },
] as const satisfies readonly NeedsAttentionCount[];

/** The metric names that add to `NeedsAttention`, whichever function publishes them. */
export const NEEDS_ATTENTION_METRIC_NAMES: ReadonlySet<string> = new Set(
  NEEDS_ATTENTION_COUNTS.map((count) => count.metric),
);
