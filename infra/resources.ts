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
  /** Receives before a message goes to the dead-letter queue (`DEAD_LETTER_QUEUE`, shared by every queue). */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  /**
   * The age of its oldest message beyond which something is wrong (alarm `<id>OldestMessageAlarm`), chosen from
   * what the queue carries: how fast it is normally drained and how long its work may wait. Left out where another
   * alarm already reports the cause of a backlog (each alarm metric costs USD 0.10 a month, docs/cost.md).
   */
  readonly oldestMessageAlarmSeconds?: number;
}

export interface TopicDefinition {
  readonly id: string;
  readonly envVar: string;
  /**
   * Alarm `<id>DeliveryFailuresAlarm` when SNS gives up delivering to a subscriber: only where that failure is not
   * reported otherwise and the alarm can reach someone.
   */
  readonly alarmOnDeliveryFailures: boolean;
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
  // No age alarm: a new run is queued every 10 minutes and a shard message lives one worker invocation (60 s) plus its
  // continuations, so workers that stop consuming raise UsageReporterNotRunningAlarm (on Lambda's free Invocations),
  // and workers that consume but cannot report make the reporter count UnreportedUsageOverdue (NeedsAttention).
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
  // No age alarm: a message that cannot be applied fails and is dead-lettered after 5 attempts (DeadLettersAlarm), and a
  // consumer that fails or is throttled raises FunctionErrorsAlarm or FunctionThrottlesAlarm.
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
  // No age alarm: an alert held for a contact that has not confirmed stays on the queue up to the week the contact has
  // to confirm, on purpose. A channel that keeps refusing is counted (AlertDeliveryLate, NeedsAttention), and an
  // alert that never gets through is dead-lettered after 30 receives (DeadLettersAlarm).
};

/**
 * Where Amazon SES (the configuration set's event destination) and AWS End User Messaging SMS (its configuration
 * set's event destination, and two-way inbound messages) publish delivery events. The contact-events queue is
 * subscribed to it (infra/constructs/contact-events.ts).
 */
export const DELIVERY_EVENTS_TOPIC: TopicDefinition = {
  id: 'DeliveryEvents',
  envVar: ENV.deliveryEventsTopicArn,
  // Its one subscriber is the ContactEvents queue of this stack, not someone's endpoint that may go away.
  alarmOnDeliveryFailures: false,
};

/** Subscription lifecycle events for the publisher's app (SubscriptionActivated, PlanChanged, …). */
export const LIFECYCLE_TOPIC: TopicDefinition = {
  id: 'Lifecycle',
  envVar: ENV.lifecycleTopicArn,
  alarmOnDeliveryFailures: true,
};

/** Budget, spike and credit-limit alerts: the notifications queue (and, locally, the outbox) is subscribed to it. */
export const ALERTS_TOPIC: TopicDefinition = {
  id: 'Alerts',
  envVar: ENV.alertsTopicArn,
  alarmOnDeliveryFailures: true,
};

/**
 * Operator notifications: every CloudWatch alarm of the stacks publishes here. Subscribe the on-call e-mail or a
 * chat integration to it after deploying (docs/operate.md).
 */
export const OPERATIONS_TOPIC: TopicDefinition = {
  id: 'Operations',
  envVar: 'OPERATIONS_TOPIC_ARN',
  // An alarm on it would notify through the topic that fails to deliver.
  alarmOnDeliveryFailures: false,
};

/**
 * The one dead-letter queue of every work queue of `QUEUES` (their redrive policies point here) and of the scheduled
 * runs (EventBridge Scheduler's dead-letter queue and Lambda's on-failure destination): one alarm
 * (`DeadLettersAlarm`) for all of them, instead of one per queue at USD 0.10 a month each. A message moved here by
 * SQS carries the queue it came from (`DeadLetterQueueSourceArn`), and a redrive without a destination returns each
 * message to its own source queue (docs/operate.md). Kept 14 days, the SQS maximum: at least as long as any source
 * keeps a message.
 */
export const DEAD_LETTER_QUEUE = { id: 'DeadLetters', retentionDays: 14 } as const;

export const TABLES = [MAIN_TABLE] as const;
export const QUEUES = [
  USAGE_QUEUE,
  OPERATION_ANSWERS_QUEUE,
  USAGE_REPORT_QUEUE,
  CONTACT_EVENTS_QUEUE,
  NOTIFICATIONS_QUEUE,
] as const;
export const TOPICS = [LIFECYCLE_TOPIC, ALERTS_TOPIC, OPERATIONS_TOPIC, DELIVERY_EVENTS_TOPIC] as const;
