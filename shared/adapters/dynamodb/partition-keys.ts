/**
 * The partition-key prefixes of the main table and of its global index, stated once. The adapters build every
 * partition key from these, and the CDK app builds each function's IAM grant from the same constants
 * (`infra/table-access.ts`: conditions on `dynamodb:LeadingKeys`), so renaming a partition changes the code and the
 * permissions together. The local mode refuses any request outside a function's declared prefixes
 * (`infra/local/dynamodb-access-guard.ts`).
 *
 * No prefix here may be a prefix of another one of the same kind (a grant on `PARTNER#` must not open
 * `PARTNER_TENANT#`), nor contain `*` or `?` (IAM's `StringLike` wildcards): `test/infra/table-access.test.ts`
 * checks both.
 *
 * Plain data only (no SDK imports): infra reads it while synthesizing.
 */

/** Partition-key prefixes of the table's items (`pk`). */
export const TABLE_PARTITION = {
  /** Everything of one subscription: the subscription, its operations, audit trail, budget, credit link,
   * approvals, prepaid term and redemptions, usage slots and totals, meter states, alert history. */
  subscription: 'SUB#',
  /** An alert record, keyed by its alert key (sent once). */
  alert: 'ALERT#',
  apiKey: 'APIKEY#',
  dayPack: 'DAYPACK#',
  partner: 'PARTNER#',
  /** The claim that makes a tenant belong to one partner. */
  partnerTenant: 'PARTNER_TENANT#',
  /** Quantities Microsoft accepted on one UTC day (reconciliation). */
  reported: 'REPORTED#',
  /** The reporting runs and their shards (one partition). */
  reportingRuns: 'REPORTING_RUNS',
  /** The reporter's shard leases (one partition). */
  reportingLease: 'REPORTING_LEASE',
  /** Markers of usage messages applied before event-id sets existed (read only). */
  usageMessageMarker: 'USAGEMSG#',
  /** Answers remembered per `Idempotency-Key` (Powertools Idempotency). */
  idempotency: 'IDEMPOTENCY#',
  /** The key the health check reads (it never exists): `HEALTH`. */
  health: 'HEALTH',
  /** The local mode's alert outbox (never written in AWS). */
  alertOutbox: 'ALERT_OUTBOX',
  /** The delivery state of one alert address (`CONTACT#email:<address>`, `CONTACT#sms:<E.164>`). */
  contact: 'CONTACT#',
  /** The local mode's mailbox of confirmation messages (never written in AWS). */
  localMailbox: 'LOCAL_MAILBOX',
  /**
   * The key material of the session cookies and contact links (one item, made on first use:
   * dynamo-session-key-material.ts). Delete it to sign everyone out.
   */
  sessionKey: 'SESSION_KEY',
  /**
   * When each schedule last started a run, what the watcher of schedules expects, and the Entra canary's failures in a
   * row (one partition, a handful of items: dynamo-schedule-runs.ts).
   */
  scheduleRuns: 'SCHEDULE_RUNS',
} as const;

/** Partition-key prefixes of the global index (`gsi1pk`). */
export const INDEX_PARTITION = {
  /** Every API key (one partition). */
  apiKeys: 'APIKEYS',
  /** Every partner (one partition). */
  partners: 'PARTNERS',
  /** Subscriptions by status. */
  subscriptionStatus: 'SUBSTATUS#',
  /** A customer's budgets: `CUSTOMER#<id>#BUDGETS`. */
  customer: 'CUSTOMER#',
  /** A partner's day packs and credit links: `PARTNER#<id>#DAYPACKS`, `PARTNER#<id>#CREDIT_LINKS`. */
  partner: 'PARTNER#',
  /** Alerts by recipient. */
  alertRecipient: 'ALERTS#',
  /** Unreported usage slots and carrying meters, sharded. */
  unreported: 'UNREPORTED#',
} as const;

export type TablePartition = (typeof TABLE_PARTITION)[keyof typeof TABLE_PARTITION];
export type IndexPartition = (typeof INDEX_PARTITION)[keyof typeof INDEX_PARTITION];
