import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type AlertChannels, AlertDelivery } from '#infra/constructs/alert-delivery.ts';
import {
  type ClientSecretLocation,
  declareClientSecret,
  ENTRA_CLIENT_SECRET,
  SIGN_IN_CLIENT_SECRET,
} from '#infra/constructs/client-secrets.ts';
import { wireDeliveryEvents } from '#infra/constructs/contact-events.ts';
import {
  addQueueAgeAlarms,
  addTableThrottlingAlarms,
  addTopicDeliveryAlarms,
} from '#infra/constructs/operational-alarms.ts';
import { TableBackup } from '#infra/constructs/table-backup.ts';
import {
  DEFAULT_BACKUP_RETENTION_DAYS,
  DEFAULT_SECRET_STORE,
  DEFAULT_SMS_SPEND_ALARM_USD,
  type DeploymentSettings,
} from '#infra/deployment-settings.ts';
import {
  ALERTS_TOPIC,
  CONTACT_EVENTS_QUEUE,
  DEAD_LETTER_QUEUE,
  DELIVERY_EVENTS_TOPIC,
  LIFECYCLE_TOPIC,
  MAIN_TABLE,
  NOTIFICATIONS_QUEUE,
  OPERATIONS_TOPIC,
  QUEUES,
  type QueueDefinition,
  TABLES,
  type TableDefinition,
  TOPICS,
  type TopicDefinition,
  USAGE_QUEUE,
} from '#infra/resources.ts';
import { DEFAULT_SMS_COUNTRIES } from '#shared/domain/alerts/phone-countries.ts';

export interface StatefulStackProps extends StackProps {
  /** The context settings (infra/deployment-settings.ts); tests may leave them out for the defaults. */
  readonly settings?: DeploymentSettings;
}

/** The resources the stateless stack needs from the stateful one. */
export interface StatefulResources {
  readonly table: dynamodb.ITable;
  readonly usageQueue: sqs.IQueue;
  readonly lifecycleTopic: sns.ITopic;
  readonly alertsTopic: sns.ITopic;
  /** The queue built from a definition of `infra/resources.ts`. */
  queueFor(definition: QueueDefinition): { readonly queue: sqs.IQueue };
  /** The one dead-letter queue (`DEAD_LETTER_QUEUE`) of every queue and of the scheduled runs. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The topic built from a definition of `infra/resources.ts`. */
  topicFor(definition: TopicDefinition): sns.ITopic;
  /** The Entra client secret of the publisher's app, for the marketplace client (a parameter or a secret). */
  readonly entraClientSecret: ClientSecretLocation;
  /** The client secret of the sign-in app registration (multitenant). */
  readonly signInClientSecret: ClientSecretLocation;
  /** The alert channels (SES identity, SMS origination identity, configuration sets) the notifier sends through. */
  readonly alertChannels: AlertChannels;
}

/** A work queue of `infra/resources.ts`; its failures go to the stack's one dead-letter queue. */
export interface WorkQueue {
  readonly queue: sqs.Queue;
}

/**
 * Everything that holds data: the table, the queues and the topics of `infra/resources.ts`. Kept apart from the
 * functions and the API so that those can be redeployed, or even deleted, without touching any data; the table and
 * the queues are retained when this stack is deleted.
 */
export class StatefulStack extends Stack implements StatefulResources {
  /** Created here, or the existing table named by the `tableName` setting (a restored table, docs/restore.md). */
  readonly table: dynamodb.ITable;
  readonly usageQueue: sqs.Queue;
  /** `DEAD_LETTER_QUEUE`: what every queue failed to process, and the scheduled runs that failed. */
  readonly deadLetterQueue: sqs.Queue;
  readonly lifecycleTopic: sns.Topic;
  readonly alertsTopic: sns.Topic;
  /** `DeadLettersAlarm`: any message in the dead-letter queue. */
  readonly deadLettersAlarm: cloudwatch.Alarm;
  readonly entraClientSecret: ClientSecretLocation;
  /** The client secret of the sign-in app registration (multitenant), set after deploying. */
  readonly signInClientSecret: ClientSecretLocation;
  /** The weekly AWS Backup copies of the table; undefined when `backupRetentionDays` is 0. */
  readonly tableBackup?: TableBackup;
  readonly alertChannels: AlertDelivery;

  private readonly tables = new Map<TableDefinition, dynamodb.ITable>();
  private readonly queues = new Map<QueueDefinition, WorkQueue>();
  private readonly topics = new Map<TopicDefinition, sns.Topic>();

  constructor(scope: Construct, id: string, props?: StatefulStackProps) {
    // Deleting this stack would orphan the retained table and queues from the functions that use them: CloudFormation
    // refuses it until someone turns the protection off on purpose (docs/deploy.md).
    super(scope, id, { terminationProtection: true, ...props });
    const settings = props?.settings;

    // Everything in resources.ts is built, so a definition added there cannot be forgotten here. A restored table
    // (the `tableName` setting) is used as it is, never created: the stack holds no second table.
    for (const definition of TABLES) {
      const existing = definition === MAIN_TABLE ? settings?.tableName : undefined;
      this.tables.set(definition, existing ? this.importTable(definition, existing) : this.createTable(definition));
    }
    for (const definition of TOPICS) this.topics.set(definition, this.createTopic(definition));
    this.deadLetterQueue = this.createDeadLetterQueue();
    for (const definition of QUEUES) this.queues.set(definition, this.createQueue(definition));

    this.table = this.tableFor(MAIN_TABLE);
    this.usageQueue = this.queueFor(USAGE_QUEUE).queue;
    this.lifecycleTopic = this.topicFor(LIFECYCLE_TOPIC);
    this.alertsTopic = this.topicFor(ALERTS_TOPIC);
    this.deadLettersAlarm = this.createDeadLettersAlarm();

    // The two Entra client secrets (the publisher app's, Partner Center > Technical configuration, and the sign-in
    // app's). CDK cannot know them: the publisher puts them after the first deploy (docs/deploy.md), by default into
    // SSM SecureString parameters this stack only names (no monthly fee), or into Secrets Manager secrets it creates
    // (`secretStore=secretsManager`). The session key material is no secret here: the functions make it in the
    // table on first use (shared/adapters/dynamodb/dynamo-session-key-material.ts).
    const secretStore = settings?.secretStore ?? DEFAULT_SECRET_STORE;
    const stackPrefix = settings?.stackPrefix ?? 'Marketplace';
    this.entraClientSecret = declareClientSecret(this, secretStore, stackPrefix, ENTRA_CLIENT_SECRET);
    this.signInClientSecret = declareClientSecret(this, secretStore, stackPrefix, SIGN_IN_CLIENT_SECRET);
    const backupRetentionDays = settings?.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
    if (backupRetentionDays > 0) {
      this.tableBackup = new TableBackup(this, 'TableBackup', {
        table: this.table,
        retentionDays: backupRetentionDays,
        operationsTopic: this.topicFor(OPERATIONS_TOPIC),
      });
    }
    // SES and SMS delivery events → the contact-events queue (infra/constructs/contact-events.ts).
    wireDeliveryEvents(this.topicFor(DELIVERY_EVENTS_TOPIC), this.queueFor(CONTACT_EVENTS_QUEUE).queue);
    // Alerts reach people through the notifier (no per-contact SNS subscriptions): infra/constructs/alert-delivery.ts.
    this.alertChannels = new AlertDelivery(this, 'AlertDelivery', {
      alertsTopic: this.alertsTopic,
      notificationsQueue: this.queueFor(NOTIFICATIONS_QUEUE).queue,
      deliveryEventsTopic: this.topicFor(DELIVERY_EVENTS_TOPIC),
      operationsTopic: this.topicFor(OPERATIONS_TOPIC),
      settings: props?.settings ?? {
        smsCountries: DEFAULT_SMS_COUNTRIES,
        smsSpendAlarmUsd: DEFAULT_SMS_SPEND_ALARM_USD,
      },
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'For npm run api-key:create' });
    this.addOperations(props?.settings?.onCallEmail);
  }

  /**
   * Where the alarms go: the on-call e-mail (if set) subscribed to the operations topic, the topic's ARN as an
   * output for any other subscriber, and the alarms on this stack's resources (infra/constructs/operational-alarms.ts).
   */
  private addOperations(onCallEmail: string | undefined): void {
    const operations = this.topicFor(OPERATIONS_TOPIC);
    if (onCallEmail !== undefined) operations.addSubscription(new subscriptions.EmailSubscription(onCallEmail));
    new CfnOutput(this, 'OperationsTopicArn', {
      value: operations.topicArn,
      description: 'Every alarm notifies this topic: subscribe the on-call e-mail or a chat integration to it',
    });
    addQueueAgeAlarms(
      this,
      [...this.queues].map(([definition, { queue }]) => ({ definition, queue })),
      operations,
    );
    addTopicDeliveryAlarms(
      this,
      [...this.topics]
        .filter(([definition]) => definition.alarmOnDeliveryFailures)
        .map(([definition, topic]) => ({ id: definition.id, topic })),
      operations,
    );
    addTableThrottlingAlarms(
      this,
      [...this.tables].map(([definition, table]) => ({ id: definition.id, table })),
      operations,
    );
  }

  /** The table built from `definition`. @throws Error if the definition is not listed in `TABLES`. */
  tableFor(definition: TableDefinition): dynamodb.ITable {
    return required(this.tables.get(definition), `table ${definition.id}`);
  }

  /** The queue built from `definition`. @throws Error if it is not in `QUEUES`. */
  queueFor(definition: QueueDefinition): WorkQueue {
    return required(this.queues.get(definition), `queue ${definition.id}`);
  }

  /** The topic built from `definition`. @throws Error if the definition is not listed in `TOPICS`. */
  topicFor(definition: TopicDefinition): sns.Topic {
    return required(this.topics.get(definition), `topic ${definition.id}`);
  }

  /**
   * An existing table (restored from a backup or a point in time) in place of the one this stack would create. Its
   * protections (deletion protection, point-in-time recovery, TTL) are not CloudFormation's to set: the restore
   * procedure turns them on (docs/restore.md) and `npm run smoke` checks them.
   */
  private importTable(definition: TableDefinition, tableName: string): dynamodb.ITable {
    // The index names are granted one by one in bindTable, so no index wildcard is asked for here.
    return dynamodb.Table.fromTableName(this, definition.id, tableName);
  }

  private createTable(definition: TableDefinition): dynamodb.Table {
    const string = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    const table = new dynamodb.Table(this, definition.id, {
      partitionKey: string(definition.partitionKey),
      sortKey: string(definition.sortKey),
      // On demand: no cost when idle, no capacity to tune, and no throttling on a burst of usage.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS-owned keys would also encrypt; the AWS-managed key additionally records every use in CloudTrail,
      // at no key fee, without the cost and key-policy upkeep of a customer-managed key.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.ttlAttribute,
      // The ledger of usage and subscriptions is the publisher's revenue record: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      // Retain covers the stack's deletion; this also refuses a DeleteTable from anyone, console and CLI included,
      // until it is switched off on purpose.
      deletionProtection: true,
    });
    for (const index of definition.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }

  /**
   * `DEAD_LETTER_QUEUE`: one for every queue (SQS lets several source queues share a dead-letter queue, and a redrive
   * without a destination returns each message to its own source) and for the failed scheduled runs of the stateless
   * stack. Kept at least as long as any source queue keeps a message.
   */
  private createDeadLetterQueue(): sqs.Queue {
    const longestSource = Math.max(...QUEUES.map((definition) => definition.retentionDays));
    if (DEAD_LETTER_QUEUE.retentionDays < longestSource) {
      throw new Error(`The dead-letter queue must keep messages at least ${longestSource} days, as its sources do`);
    }
    const queue = new sqs.Queue(this, DEAD_LETTER_QUEUE.id, {
      retentionPeriod: Duration.days(DEAD_LETTER_QUEUE.retentionDays),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Dead letters are unprocessed usage, i.e. unbilled revenue: kept even if the stack is deleted.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of every other queue and of the schedules (Scheduler dead-letter target ' +
        'and Lambda onFailure destination); nothing consumes it, so it needs no dead-letter queue of its own.',
    });
    return queue;
  }

  /**
   * `DeadLettersAlarm`: any message in the dead-letter queue, whatever its source. The queue's visible messages every
   * minute; SQS stops publishing metrics of a queue idle for six hours, and a dead letter left sitting there must keep
   * the alarm in ALARM rather than let missing data turn it back to OK.
   */
  private createDeadLettersAlarm(): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription:
        'Messages in the DeadLetters queue: a message of a work queue (Usage, OperationAnswers, UsageReport, ' +
        'ContactEvents, Notifications) not processed after its attempts, or a scheduled run that failed after its ' +
        'retries. Receive one with all attributes: DeadLetterQueueSourceArn names its queue; a scheduled run is a ' +
        'Lambda or Scheduler failure record. Fix the cause, then redrive to the source queues. ' +
        'Runbook: docs/operate.md#deadlettersalarm.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.topicFor(OPERATIONS_TOPIC)));
    return alarm;
  }

  private createQueue(definition: QueueDefinition): WorkQueue {
    const queue = new sqs.Queue(this, definition.id, {
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(definition.retentionDays),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
      // SSE-SQS: encrypted at rest with no KMS key to pay for or grant to every producer and consumer.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return { queue };
  }

  private createTopic(definition: TopicDefinition): sns.Topic {
    return new sns.Topic(this, definition.id, {
      enforceSSL: true,
      // No `masterKey`: the AWS-managed SNS key's policy cannot be changed, so CloudWatch alarms and EventBridge
      // could no longer publish here, and a customer-managed key adds a monthly fee per key for messages that
      // carry alert texts and subscription ids, not secrets. Add one if a publisher's compliance requires it.
    });
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not defined in infra/resources.ts`);
  return value;
}
