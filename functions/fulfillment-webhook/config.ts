import * as z from 'zod';
import {
  USAGE_REPORTER_SETTINGS,
  type UsageReporterConfig,
  usageReporterConfig,
} from '#shared/adapters/compose/usage-reporter-settings.ts';
import {
  smokeTestWebhooksOn,
  WEBHOOK_AUTH_SETTINGS,
  type WebhookSharedSecret,
  webhookSharedSecret,
} from '#shared/adapters/entra/webhook-auth-config.ts';
import { type Env, loadSettings, runtimeEnv } from '#shared/config/load-settings.ts';
import {
  ALERTS_SETTINGS,
  type AlertsSettings,
  alertsSettings,
  OPERATION_ANSWERS_QUEUE_SETTINGS,
} from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * Every variable the webhook reads: the usage reporter's (a cancellation first reports the subscription's pending
 * usage through it), the alerts topic (the partner's notice of a refused change), the operation-answers queue (the
 * PATCH a change owes, sent after the webhook's answer), the optional shared secret of the webhook URL and whether
 * the smoke check's test webhooks are accepted.
 */
export const FULFILLMENT_WEBHOOK_SETTINGS = z.object({
  ...USAGE_REPORTER_SETTINGS.shape,
  ...ALERTS_SETTINGS,
  ...OPERATION_ANSWERS_QUEUE_SETTINGS,
  ...WEBHOOK_AUTH_SETTINGS,
});

export interface FulfillmentWebhookConfig extends UsageReporterConfig, AlertsSettings {
  readonly operationAnswersQueueUrl: string;
  readonly webhookSharedSecret?: WebhookSharedSecret;
  /** The smoke check's test webhooks are accepted too, for test subscriptions only (docs/security.md). */
  readonly smokeTestWebhooks: boolean;
}

/**
 * The webhook's configuration, read once at cold start.
 * @throws ConfigError naming each missing or invalid variable and what it should hold.
 */
export function loadFulfillmentWebhookConfig(env: Env = runtimeEnv()): FulfillmentWebhookConfig {
  const values = loadSettings(FULFILLMENT_WEBHOOK_SETTINGS, env);
  const sharedSecret = webhookSharedSecret(values);
  return {
    ...usageReporterConfig(values),
    ...alertsSettings(values),
    operationAnswersQueueUrl: values[ENV.operationAnswersQueueUrl],
    smokeTestWebhooks: smokeTestWebhooksOn(values),
    ...(sharedSecret === undefined ? {} : { webhookSharedSecret: sharedSecret }),
  };
}
