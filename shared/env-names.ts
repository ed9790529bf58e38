/**
 * Environment variable names shared by the CDK app (which sets them) and the functions (which read them),
 * so the two cannot drift apart. `infra/constructs/bind.ts` sets each one together with the IAM grant it needs.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  usageQueueUrl: 'USAGE_QUEUE_URL',
  operationAnswersQueueUrl: 'OPERATION_ANSWERS_QUEUE_URL',
  usageReportQueueUrl: 'USAGE_REPORT_QUEUE_URL',
  lifecycleTopicArn: 'LIFECYCLE_TOPIC_ARN',
  operationsTopicArn: 'OPERATIONS_TOPIC_ARN',
  alertsTopicArn: 'ALERTS_TOPIC_ARN',
  /** Local mode only: the SQS queue that stands in for alert e-mail and SMS (`GET /v1/outbox`). Never set in AWS. */
  alertsOutboxQueueUrl: 'ALERTS_OUTBOX_QUEUE_URL',
  /**
   * The plan catalog as JSON, compiled into each bundle by the CDK app (esbuild `define`, see `runtimeEnv` in
   * shared/config/load-settings.ts) rather than set at run time. Local mode sets `CATALOG_PATH` instead.
   */
  catalogJson: 'CATALOG_JSON',
  catalogPath: 'CATALOG_PATH',
  /** Optional: oldest usage event accepted, in hours (default in functions/usage-ingest/config.ts). */
  usageMaxLatenessHours: 'USAGE_MAX_LATENESS_HOURS',
  /** Optional: minutes after an hour closes before the reporter reports it (default in shared/domain/reporting/report-schedule.ts). */
  usageReportGraceMinutes: 'USAGE_REPORT_GRACE_MINUTES',
  /** Optional: minutes a purchase may stay PendingFulfillmentStart before the sync reports it (default 60). */
  pendingPurchaseAlertMinutes: 'PENDING_PURCHASE_ALERT_MINUTES',
  /** Optional: IANA time zone of the months of reseller partners without their own (default UTC; shared/config/settings.ts). */
  publisherTimeZone: 'PUBLISHER_TIME_ZONE',
  // Marketplace client (`shared/adapters/marketplace/marketplace-config.ts`).
  marketplaceApiBaseUrl: 'MARKETPLACE_API_BASE_URL',
  entraTenantId: 'ENTRA_TENANT_ID',
  entraClientId: 'ENTRA_CLIENT_ID',
  entraCredentialKind: 'ENTRA_CREDENTIAL_KIND',
  entraClientSecret: 'ENTRA_CLIENT_SECRET',
  entraClientSecretArn: 'ENTRA_CLIENT_SECRET_ARN',
  /** The SSM Parameter Store SecureString holding the client secret (the stacks' default store). */
  entraClientSecretParameter: 'ENTRA_CLIENT_SECRET_PARAMETER',
  entraCertificateSecretArn: 'ENTRA_CERTIFICATE_SECRET_ARN',
  entraCertificatePath: 'ENTRA_CERTIFICATE_PATH',
  entraAssertionFile: 'ENTRA_ASSERTION_FILE',
  entraAuthorityHost: 'ENTRA_AUTHORITY_HOST',
  entraCaCertPath: 'ENTRA_CA_CERT_PATH',
  // Sign-in with Microsoft for the landing page, the portal and the API's session (`shared/adapters/entra/sign-in-config.ts`):
  // a multitenant web app registration of its own, apart from the publisher app that calls the marketplace APIs.
  signInClientId: 'SIGN_IN_CLIENT_ID',
  signInClientSecret: 'SIGN_IN_CLIENT_SECRET',
  signInClientSecretArn: 'SIGN_IN_CLIENT_SECRET_ARN',
  signInClientSecretParameter: 'SIGN_IN_CLIENT_SECRET_PARAMETER',
  /** Optional: `common` (default: work, school and personal Microsoft accounts) or `organizations` (work and school only). */
  signInAuthority: 'SIGN_IN_AUTHORITY',
  /** Optional: where Entra's endpoints are reached (the emulator's fake Entra locally); Microsoft's host otherwise. */
  signInAuthorityHost: 'SIGN_IN_AUTHORITY_HOST',
  /**
   * Optional: the secret the session, sign-in cookie and contact-link keys are derived from, as a value (local mode,
   * tests). Unset, the key material is the table's `SESSION_KEY` item, made on first use
   * (shared/adapters/dynamodb/dynamo-session-key-material.ts).
   */
  sessionSecret: 'SESSION_SECRET',
  // Who is a publisher administrator when signed in (`shared/domain/access.ts`).
  publisherAdminTenantId: 'PUBLISHER_ADMIN_TENANT_ID',
  /** Comma-separated object ids or e-mail addresses of the publisher tenant's users who administer. */
  publisherAdminUsers: 'PUBLISHER_ADMIN_USERS',
  /** Optional: an Entra group of the publisher tenant whose members administer (its object id). */
  publisherAdminGroupId: 'PUBLISHER_ADMIN_GROUP_ID',
  /**
   * Optional: the origin the public uses (`https://<custom domain>`) when the API is served through CloudFront, where
   * the functions see the execute-api host in `Host`. Sign-in redirect URIs and the CSRF origin check use it.
   */
  publicBaseUrl: 'PUBLIC_BASE_URL',
  /**
   * The base URL the confirm and unsubscribe links sent to alert contacts point at (the API's URL, or its custom
   * domain): shared/adapters/links/signed-contact-links.ts. Apart from `PUBLIC_BASE_URL`, which is only set behind a
   * custom domain and changes how sign-in and CSRF checks see the request's origin.
   */
  contactLinksBaseUrl: 'CONTACT_LINKS_BASE_URL',
  /** Entra canary: the landing page's public URL, the one Partner Center sends buyers to (`<API URL>/landing`). */
  landingPageUrl: 'LANDING_PAGE_URL',
  /** Portal: the folder of the bundled page assets (script, stylesheet, manifest.json). */
  portalAssetsDir: 'PORTAL_ASSETS_DIR',
  // Webhook (`shared/adapters/entra/webhook-auth-config.ts`): optional shared secret in the webhook URL's query string
  // (reference/marketplace-api.md §2.3, defence in depth beside the JWT): the parameter's name and its value.
  webhookSharedSecretParameter: 'WEBHOOK_SHARED_SECRET_PARAMETER',
  webhookSharedSecretValue: 'WEBHOOK_SHARED_SECRET_VALUE',
  /** The queue subscribed to the alerts topic, consumed by the AlertNotifier (it delays held alerts on it). */
  notificationsQueueUrl: 'NOTIFICATIONS_QUEUE_URL',
  /**
   * Optional: the sender of alert e-mail, an address of the SES-verified domain (`Alerts <alerts@example.com>`), from
   * the context settings `alertEmailFrom` / `alertEmailDomain`. Unset: no e-mail is sent (reported per contact).
   */
  alertEmailFrom: 'ALERT_EMAIL_FROM',
  /** Optional: the SES configuration set alert e-mail is sent in (its events report bounces and complaints). */
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  /**
   * Optional: the End User Messaging origination identity SMS is sent from (phone number, sender id or pool, id or
   * ARN), from the context setting `smsOriginationIdentity`. Unset: no SMS is sent (reported per contact).
   */
  smsOriginationIdentity: 'SMS_ORIGINATION_IDENTITY',
  /** Optional: the End User Messaging configuration set SMS is sent in (its events report delivery). */
  smsConfigurationSet: 'SMS_CONFIGURATION_SET',
  /**
   * Optional: comma-separated ISO country codes alert SMS may go to (`JP,US`), from the context setting
   * `smsCountries` (default in shared/domain/alerts/phone-countries.ts); a phone elsewhere is refused when saved.
   */
  smsAllowedCountries: 'SMS_ALLOWED_COUNTRIES',
  /**
   * Local mode and tests only: `true` keeps contact messages (confirmations) in the main table instead of sending
   * them (`DynamoLocalMailbox`). Never set in AWS.
   */
  localMailbox: 'LOCAL_MAILBOX',
  /** The SNS topic where SES and End User Messaging SMS publish delivery events (bounces, complaints, opt-outs). */
  deliveryEventsTopicArn: 'DELIVERY_EVENTS_TOPIC_ARN',
  /** The queue subscribed to that topic, consumed by the ContactEvents function. */
  contactEventsQueueUrl: 'CONTACT_EVENTS_QUEUE_URL',
} as const;
