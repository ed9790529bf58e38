import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * The stateful resources of the system, described once. The CDK stateful stack builds them for AWS and the
 * local mode (`infra/local/provision.ts`) creates the same tables, queues and topics in DynamoDB Local and fauxqs,
 * so a table key or a queue setting cannot differ between a laptop and production.
 *
 * Plain data only: no aws-cdk-lib or SDK imports here (nor in what it imports).
 */

export interface TableDefinition {
  /** Construct id in CDK and the table name in local mode. */
  readonly id: string;
  readonly envVar: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly globalIndexes: readonly { name: string; partitionKey: string; sortKey: string }[];
  /** Attribute holding an epoch-seconds expiry (DynamoDB TTL). */
  readonly ttlAttribute: string;
}

export interface QueueDefinition {
  readonly id: string;
  readonly envVar: string;
  /** Must exceed the consuming function's timeout (AWS recommends six times it). */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  /** What an operator must know when its dead-letter alarm fires (the alarm's description ends with it). */
  readonly deadLetterAdvice: string;
  /**
   * The age of its oldest message beyond which something is wrong (alarm `<id>OldestMessageAlarm`), chosen from
   * what the queue carries: how fast it is normally drained and how long its work may wait.
   */
  readonly oldestMessageAlarmSeconds: number;
}

export interface TopicDefinition {
  readonly id: string;
  readonly envVar: string;
}

/**
 * Single-table design: every entity lives in one on-demand table under `pk`/`sk`, with one general-purpose
 * global index for the second access path of each entity (e.g. API key hash → key record). The key names are the
 * adapters' (`shared/adapters/dynamodb/table-keys.ts`), so the table built here is the table they query.
 */
export const MAIN_TABLE: TableDefinition = {
  id: 'Main',
  envVar: ENV.tableName,
  partitionKey: MAIN_TABLE_KEYS.partitionKey,
  sortKey: MAIN_TABLE_KEYS.sortKey,
  globalIndexes: [MAIN_TABLE_KEYS.index],
  ttlAttribute: MAIN_TABLE_KEYS.ttlAttribute,
};

/** Usage events accepted by the ingest API, waiting to be aggregated. */
export const USAGE_QUEUE: QueueDefinition = {
  id: 'Usage',
  envVar: ENV.usageQueueUrl,
  visibilityTimeoutSeconds: 180,
  maxReceiveCount: 5,
  retentionDays: 14,
  deadLetterAdvice: 'Usage must be reported within 24 hours of its hour. Runbook: docs/operate.md.',
  // Drained within seconds (5 s batching window). An hour of backlog means the aggregator fails or is throttled, and
  // leaves 23 of Microsoft's 24 hours to fix it before the usage of the oldest hour can no longer be billed in it.
  oldestMessageAlarmSeconds: 3600,
};

/**
 * The PATCH a ChangePlan / ChangeQuantity / Reinstate webhook owes Microsoft, sent by the operation-answers consumer
 * after the webhook has answered (Microsoft's order: answer the call, then PATCH within 10 s). Messages are delayed
 * 1 s when sent (`CHANGE_ANSWER_QUEUE_DELAY_SECONDS`). Visibility: six times the consumer's 20 s timeout.
 */
export const OPERATION_ANSWERS_QUEUE: QueueDefinition = {
  id: 'OperationAnswers',
  envVar: ENV.operationAnswersQueueUrl,
  visibilityTimeoutSeconds: 120,
  maxReceiveCount: 5,
  retentionDays: 14,
  deadLetterAdvice:
    'A ChangePlan / ChangeQuantity / Reinstate was decided but not PATCHed or not applied: Microsoft has ' +
    'auto-accepted it after 10 s, so the store may miss a plan or seat change until the hourly sync. ' +
    'Runbook: docs/operate.md.',
  // Normally answered about 1 s after the webhook (the send delay). Microsoft auto-accepts a change after 10 s, so
  // every answer this old is already late; 5 minutes (two failed attempts, or a consumer that stopped) is when the
  // store starts to miss changes rather than one answer being slow.
  oldestMessageAlarmSeconds: 300,
};

/**
 * The reporter's fan-out: one message per shard of the unreported index and run (`ShardWork`), sent by the
 * dispatcher on its schedule (or `npm run report`) and by a worker continuing its shard after its time budget.
 * Visibility: six times the worker's 60 s timeout. A message that fails five times (the index unreadable, the run
 * record unwritable) is dead-lettered; the next dispatch (10 min) queues the shard again anyway.
 */
export const USAGE_REPORT_QUEUE: QueueDefinition = {
  id: 'UsageReport',
  envVar: ENV.usageReportQueueUrl,
  visibilityTimeoutSeconds: 360,
  maxReceiveCount: 5,
  retentionDays: 1,
  deadLetterAdvice:
    'A shard of a usage report run failed five times (see the usage-reporter logs); the next dispatch queues it ' +
    'again, but usage must be reported within 24 hours of its hour. Runbook: docs/operate.md.',
  // A new run is queued every 10 minutes and a shard message lives one worker invocation (60 s) plus its
  // continuations. A message an hour old means the workers are not consuming: still 19 h before the unreported-usage
  // alarm, 23 h before Microsoft's window closes.
  oldestMessageAlarmSeconds: 3600,
};

/**
 * Delivery events of the alert channels that change a contact's state (docs/alerts.md "Contacts"), read by the
 * ContactEvents function from the DeliveryEvents topic: SES bounces and complaints, End User Messaging SMS failures
 * and opt-outs. Visibility: six times the consumer's 20 s timeout. A message that fails five times is not a delivery
 * event we can read, or the table was out of reach: dead-lettered and alarmed.
 */
export const CONTACT_EVENTS_QUEUE: QueueDefinition = {
  id: 'ContactEvents',
  envVar: ENV.contactEventsQueueUrl,
  visibilityTimeoutSeconds: 120,
  maxReceiveCount: 5,
  retentionDays: 14,
  // An opt-out must take effect before the next alert goes out (alerts are evaluated at most hourly per rule).
  oldestMessageAlarmSeconds: 1800,
  deadLetterAdvice:
    'A bounce, complaint or opt-out was not recorded: alerts may still go to an address that refused them, which ' +
    'hurts the sending reputation. Runbook: docs/operate.md.',
};

/**
 * Every alert of the alerts topic (raw delivery), for the AlertNotifier to send to the recipient's contacts by e-mail
 * and SMS. Visibility: six times the notifier's 30 s timeout. An alert held for a contact that has not confirmed yet
 * comes back with a growing delay (`comeBackDelaySeconds`: 15 min up to 12 h), about 20 receives over the week a
 * contact has to confirm; with a few transient channel failures on top, 30 receives leave room before the dead-letter
 * queue. Kept 14 days (the SQS maximum): longer than the confirmation window.
 */
export const NOTIFICATIONS_QUEUE: QueueDefinition = {
  id: 'Notifications',
  envVar: ENV.notificationsQueueUrl,
  visibilityTimeoutSeconds: 180,
  maxReceiveCount: 30,
  retentionDays: 14,
  // An alert held for a contact that has not confirmed stays on the queue up to the week the contact has to confirm,
  // on purpose; past that, plus a day, it is stuck. Failures sooner show in the retries and dead-letter alarms.
  oldestMessageAlarmSeconds: 8 * 24 * 3600,
  deadLetterAdvice:
    'An alert could not be delivered to every contact of its recipient (a channel failing for hours, or the table out ' +
    'of reach); GET /v1/alerts shows each contact’s delivery. Runbook: docs/operate.md.',
};

/**
 * Where Amazon SES (the configuration set's event destination) and AWS End User Messaging SMS (its configuration
 * set's event destination, and two-way inbound messages) publish delivery events. The contact-events queue is
 * subscribed to it (infra/constructs/contact-events.ts).
 */
export const DELIVERY_EVENTS_TOPIC: TopicDefinition = { id: 'DeliveryEvents', envVar: ENV.deliveryEventsTopicArn };

/** Subscription lifecycle events for the publisher's app (SubscriptionActivated, PlanChanged, …). */
export const LIFECYCLE_TOPIC: TopicDefinition = { id: 'Lifecycle', envVar: ENV.lifecycleTopicArn };

/** Budget, spike and credit-limit alerts: the notifications queue (and, locally, the outbox) is subscribed to it. */
export const ALERTS_TOPIC: TopicDefinition = { id: 'Alerts', envVar: ENV.alertsTopicArn };

/**
 * Operator notifications: every CloudWatch alarm of the stacks publishes here. Subscribe the on-call e-mail or a
 * chat integration to it after deploying (docs/operate.md).
 */
export const OPERATIONS_TOPIC: TopicDefinition = { id: 'Operations', envVar: 'OPERATIONS_TOPIC_ARN' };

export const TABLES = [MAIN_TABLE] as const;
export const QUEUES = [
  USAGE_QUEUE,
  OPERATION_ANSWERS_QUEUE,
  USAGE_REPORT_QUEUE,
  CONTACT_EVENTS_QUEUE,
  NOTIFICATIONS_QUEUE,
] as const;
export const TOPICS = [LIFECYCLE_TOPIC, ALERTS_TOPIC, OPERATIONS_TOPIC, DELIVERY_EVENTS_TOPIC] as const;
