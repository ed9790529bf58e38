/**
 * Environment variable names shared by the CDK app (which sets them) and the functions (which read them),
 * so the two cannot drift apart. `infra/constructs/bind.ts` sets each one together with the IAM grant it needs.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  usageQueueUrl: 'USAGE_QUEUE_URL',
  lifecycleTopicArn: 'LIFECYCLE_TOPIC_ARN',
  alertsTopicArn: 'ALERTS_TOPIC_ARN',
  catalogPath: 'CATALOG_PATH',
} as const;
