import {
  ALERTS_TOPIC,
  CONTACT_EVENTS_QUEUE,
  LIFECYCLE_TOPIC,
  NOTIFICATIONS_QUEUE,
  OPERATION_ANSWERS_QUEUE,
  OPERATIONS_TOPIC,
  type QueueDefinition,
  type TopicDefinition,
  USAGE_QUEUE,
  USAGE_REPORT_QUEUE,
} from '#infra/resources.ts';
import type { TableAccess } from '#infra/table-access.ts';
import { INDEX_PARTITION as INDEX, TABLE_PARTITION as ITEM } from '#shared/adapters/dynamodb/partition-keys.ts';

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
  /**
   * The DynamoDB item actions it uses on the main table, each with the partition-key prefixes it uses them on, and
   * the index partitions it queries (`infra/table-access.ts`). Granted as exactly that, with conditions on the
   * leading keys; checked again in the local mode and the handler tests (infra/local/dynamodb-access-guard.ts).
   */
  readonly table?: TableAccess;
  readonly queues?: readonly { readonly queue: QueueDefinition; readonly access: 'send' | 'consume' }[];
  /** Topics it publishes to. */
  readonly topics?: readonly TopicDefinition[];
  /**
   * Talks to Microsoft's marketplace APIs (or verifies its webhook tokens): gets the Entra tenant and app ids and the
   * right to read the client secret (its SSM parameter, or its Secrets Manager secret with `secretStore=secretsManager`).
   */
  readonly marketplace?: boolean;
  /**
   * Reports the state of the Entra credential (GET /health, the canary). With `secretStore=secretsManager` it may also
   * count the client secret's versions (`secretsmanager:ListSecretVersionIds`), since a secret never put since the
   * stack created it is the placeholder; a parameter that does not exist needs no extra right to be seen.
   */
  readonly inspectsEntraCredential?: boolean;
  /**
   * Sends alerts by e-mail and SMS (infra/constructs/alert-delivery.ts `bindAlertChannels`): gets the senders and
   * configuration sets, `ses:SendEmail` and `sms-voice:SendTextMessage` on exactly those.
   */
  readonly sendsAlerts?: boolean;
  /**
   * Signs users in with Microsoft: gets the sign-in app's client id and the right to read its client secret
   * (`SIGN_IN_*`, shared/adapters/entra/sign-in-config.ts; an SSM parameter or a Secrets Manager secret).
   */
  readonly signIn?: boolean;
  /**
   * Opens the sign-in session cookie, whose keys are derived from the table's `SESSION_KEY` item (declare GetItem and
   * PutItem on `ITEM.sessionKey` in `table`: the first function to need it makes it), and with `'withAdmins'` also
   * gets who administers the publisher when signed in (`PUBLISHER_ADMIN_*`).
   */
  readonly session?: 'keys' | 'withAdmins';
  /** Serves the portal's bundled page assets from its own deployment package (`PORTAL_ASSETS_DIR`). */
  readonly portalAssets?: boolean;
  /**
   * Opens the landing page as a buyer would (the canary): gets its public URL (`LANDING_PAGE_URL`). No permission:
   * the page is public.
   */
  readonly landingPageUrl?: boolean;
  /**
   * Signs or checks the links sent to alert contacts (confirm, unsubscribe): gets the API's base URL
   * (`CONTACT_LINKS_BASE_URL`). The link key is derived from the table's `SESSION_KEY` item, as the session's: declare
   * GetItem and PutItem on `ITEM.sessionKey` in `table`.
   */
  readonly contactLinks?: boolean;
  /**
   * Validates alert phone numbers against the countries SMS may go to: gets `SMS_ALLOWED_COUNTRIES` from the context
   * setting `smsCountries`.
   */
  readonly smsCountries?: boolean;
  /**
   * Watches that the schedules run (shared/domain/scheduled-runs.ts): gets `WATCHED_SCHEDULES`, the schedules the stack
   * deploys but those of this function (`watchedSchedules`). One function has it: the usage report dispatcher, whose
   * own schedule `UsageReporterNotRunningAlarm` watches.
   */
  readonly watchesSchedules?: boolean;
}

/** An SQS queue that triggers a function (an event source mapping in AWS, a poller in the local mode). */
export interface QueueTrigger {
  readonly queue: QueueDefinition;
  /** Messages per invocation (≤ 10 without a batching window). */
  readonly batchSize: number;
  /** How long to gather a batch before invoking (0 = invoke at once). */
  readonly maxBatchingWindowSeconds?: number;
  /**
   * Most concurrent invocations for this queue (2–1000, the event source mapping's maximum concurrency). Set only where
   * a backlog could otherwise fan out: without it Lambda scales a trigger with the messages waiting (hundreds of copies
   * on a large backlog, taking the account's concurrency from the webhook and the landing page). Not set where the
   * producer already bounds how many messages can wait, because it has a price when idle: AWS's Lambda guide says an
   * idle trigger scales down to "as few as 2" pollers, an optimization "not available when you enable the maximum
   * concurrency setting", so a capped trigger keeps 5 pollers long-polling its empty queue, 657,000 billed receives a
   * month (docs/cost.md). Each trigger below says which case it is.
   */
  readonly maxConcurrency?: number;
  /**
   * Pollers the local mode runs on this queue (infra/local/local-system.ts), when not `maxConcurrency` (default
   * `LOCAL_DEFAULT_POLLERS`): the local mode has no Lambda scaling, so a trigger that relies on it to run several
   * copies at once (the reporter's shard workers) states how many here.
   */
  readonly localPollers?: number;
}

/** Pollers of a local-mode queue trigger that states neither a maximum concurrency nor its own number. */
export const LOCAL_DEFAULT_POLLERS = 2;

/** How many pollers the local mode runs on a trigger's queue: `localPollers`, else `maxConcurrency`, else 2. */
export function localPollersOf(trigger: QueueTrigger): number {
  return trigger.localPollers ?? trigger.maxConcurrency ?? LOCAL_DEFAULT_POLLERS;
}

/**
 * What every function runs on unless its definition says otherwise (infra/constructs/app-function.ts applies both):
 * 256 MB keeps cold starts of the bundle short (CPU grows with memory on Lambda), and Arm costs 20% less per GB-second
 * than x86 at the same request price. The benchmarks' cost model prices GB-seconds with these.
 */
export const DEFAULT_FUNCTION_MEMORY_MB = 256;
export const FUNCTION_ARCHITECTURE = 'arm64';

export interface FunctionDefinition {
  /** Construct id in CDK; the name printed by the local mode. */
  readonly id: string;
  /** Handler module, relative to the repository root; it must export `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds?: number;
  /** Default `DEFAULT_FUNCTION_MEMORY_MB`. */
  readonly memoryMb?: number;
  readonly uses: ResourceUse;
  readonly trigger?: QueueTrigger;
  /**
   * Lambda reserved concurrency: this many copies can always run, whatever else the account runs, and never more.
   * Given to the functions that must answer during a backlog elsewhere (Microsoft's webhook, the landing page and the
   * sign-in it starts with); deployed only while the `reserveConcurrency` setting is on (infra/deployment-settings.ts),
   * since an account must keep 100 copies unreserved.
   */
  readonly reservedConcurrency?: number;
}

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';

/**
 * How the route's function authenticates a request. No route has an API Gateway authorizer: each function checks
 * its own credential (the stack states why for each kind, cdk-nag AwsSolutions-APIG4).
 * - `apiKey`: the project's API keys (`Authorization: Bearer …`), with their scopes.
 * - `entraToken`: an Entra ID token from Microsoft (the fulfillment webhook).
 * - `marketplaceToken`: the marketplace purchase token the customer arrives with (the landing page).
 * - `session`: a signed session cookie set after Entra sign-in (the portal's pages; the Api also accepts it).
 * - `public`: no credential by design: the API's description, and the sign-in steps that lead to a session.
 */
export type RouteAuth = 'apiKey' | 'entraToken' | 'marketplaceToken' | 'session' | 'public';

export interface HttpRouteDefinition {
  /** API Gateway route path: literal segments, `{name}` parameters, and a final greedy `{proxy+}`. */
  readonly path: string;
  readonly methods: readonly HttpMethodName[];
  readonly functionId: string;
  readonly auth: RouteAuth;
}

export interface ScheduleDefinition {
  readonly id: string;
  readonly functionId: string;
  /** Run every this many minutes (EventBridge `rate(...)`; a timer in the local mode). */
  readonly everyMinutes: number;
  readonly description: string;
  /**
   * This schedule's function checks that the other schedules ran (`checkSchedules`). The local mode runs it after the
   * others when a clock move makes several due at once: run first, it would find them all a day late and log
   * "Schedules overdue" for a move, not a fault.
   */
  readonly watchesSchedules?: true;
}

export const API_FUNCTION: FunctionDefinition = {
  id: 'Api',
  entry: 'functions/api/handler.ts',
  description:
    'Our own HTTP API (API key or session): catalog, API keys, subscriptions, day packs, usage, alert settings, partners',
  // The alerts topic: test alerts and purchase-block notices, and (local mode only) the outbox queue's subscription.
  // The usage-report queue: `POST /v1/reporting/runs` (`npm run report`) dispatches a reporting run now. Nothing
  // here calls Microsoft: those routes are PUBLISHER_OPERATIONS_FUNCTION's.
  uses: {
    table: {
      // Subscriptions, their audit, budgets, credit links, approvals, prepaid terms, usage and alert history (SUB#);
      // alert records (test alerts, purchase-block notices); API keys; day packs; partners and their tenant claims;
      // the reporting runs it starts and lists; alert contacts' states; the session and contact-link key material
      // (made by whichever function needs it first).
      items: {
        GetItem: [
          ITEM.subscription,
          ITEM.alert,
          ITEM.apiKey,
          ITEM.dayPack,
          ITEM.partner,
          ITEM.partnerTenant,
          ITEM.contact,
          ITEM.sessionKey,
        ],
        BatchGetItem: [ITEM.subscription],
        // The alert history reads each alert's per-contact delivery records (ALERT#<key> / DELIVERY#…).
        Query: [ITEM.subscription, ITEM.reportingRuns, ITEM.alert],
        PutItem: [
          ITEM.subscription,
          ITEM.alert,
          ITEM.apiKey,
          ITEM.dayPack,
          ITEM.partner,
          ITEM.partnerTenant,
          ITEM.sessionKey,
        ],
        // Contacts: registered (and their confirmation claimed) when a budget or partner is saved.
        UpdateItem: [ITEM.subscription, ITEM.alert, ITEM.apiKey, ITEM.dayPack, ITEM.contact],
        // A partner moved to another tenant gives up its old tenant claim (in the same transaction).
        DeleteItem: [ITEM.partnerTenant],
        // `POST /v1/reporting/runs` records a run and its shards in one batch.
        BatchWriteItem: [ITEM.reportingRuns],
      },
      indexQuery: [
        INDEX.apiKeys,
        INDEX.partners,
        INDEX.subscriptionStatus,
        INDEX.customer,
        INDEX.partner,
        INDEX.alertRecipient,
        INDEX.unreported,
      ],
      // `GET /v1/outbox` of the local mode copies its queue into the table, and the local mode keeps the
      // confirmation messages sent to new contacts in a mailbox (no SES or SMS there).
      localOnly: { PutItem: [ITEM.alertOutbox, ITEM.localMailbox], Query: [ITEM.alertOutbox, ITEM.localMailbox] },
    },
    queues: [{ queue: USAGE_REPORT_QUEUE, access: 'send' }],
    topics: [ALERTS_TOPIC],
    // A new alert contact is sent its confirmation message through the notifier's channels (SES, SMS).
    sendsAlerts: true,
    // The portal's pages call the API with the session cookie; signed-in publisher administrators see everything.
    session: 'withAdmins',
    // Saving a budget or partner sends each new contact a confirmation link, and refuses phones of other countries.
    contactLinks: true,
    smsCountries: true,
  },
};

/**
 * The routes of the project's API that call Microsoft or read its credential: the publisher operations and the health
 * check. A function of its own so that the Api bundles no marketplace client (docs/testing-and-benchmarks.md "Bundle
 * size and cold start"); same authentication as the Api.
 */
export const PUBLISHER_OPERATIONS_FUNCTION: FunctionDefinition = {
  id: 'PublisherOperations',
  entry: 'functions/publisher-operations/handler.ts',
  description:
    'Publisher operations (change plan or seats, cancel, follow the operation) and the health check: the API routes that call Microsoft',
  uses: {
    table: {
      // Subscriptions, their operations and audit, budgets, credit links, approvals and usage (SUB#); the partner's
      // notice of a change its credit levels refused (alert records); API keys; partners and their tenant claims (a
      // signed-in partner, the credit levels); the health check's key; the session key material.
      items: {
        GetItem: [
          ITEM.subscription,
          ITEM.alert,
          ITEM.apiKey,
          ITEM.partner,
          ITEM.partnerTenant,
          ITEM.health,
          ITEM.sessionKey,
        ],
        BatchGetItem: [ITEM.subscription],
        Query: [ITEM.subscription, ITEM.alert],
        PutItem: [ITEM.subscription, ITEM.alert, ITEM.sessionKey],
        UpdateItem: [ITEM.subscription, ITEM.alert, ITEM.apiKey],
      },
      indexQuery: [INDEX.apiKeys, INDEX.partners, INDEX.customer, INDEX.partner],
    },
    // The health check reads the usage queue's attributes, which the send grant includes.
    queues: [{ queue: USAGE_QUEUE, access: 'send' }],
    // The alerts topic: the partner's notice of a publisher change refused by its credit levels. The lifecycle topic:
    // a plan or seat change that Microsoft reports Succeeded is applied and published here.
    topics: [ALERTS_TOPIC, LIFECYCLE_TOPIC],
    // Publisher operations (change plan / seats, cancel) call the Fulfillment API and follow the operation.
    marketplace: true,
    // GET /health reports whether the Entra client secret is still the placeholder, and when it expires.
    inspectsEntraCredential: true,
    // The portal calls these routes with the session cookie; signed-in publisher administrators may use them.
    session: 'withAdmins',
  },
  // A publisher operation waits up to 12 s for Microsoft to finish it, after a request of at most 4 s: 25 s stays
  // under API Gateway's 30 s (shared/use-cases/fulfillment/request-subscription-change.ts).
  timeoutSeconds: 25,
};

/** `POST /v1/usage`: its own function so a flood of usage never competes with the API for concurrency. */
export const USAGE_INGEST_FUNCTION: FunctionDefinition = {
  id: 'UsageIngest',
  entry: 'functions/usage-ingest/handler.ts',
  description: 'Usage ingest (publisher key): validates usage events and queues them, summed per hour, for aggregation',
  // Reads API keys and subscriptions; writes the Idempotency-Key records (the answer to each request) and the
  // subscriptions it learns of from Microsoft (Get Subscription for usage naming one not stored yet, with its audit).
  uses: {
    table: {
      items: {
        GetItem: [ITEM.apiKey, ITEM.subscription, ITEM.idempotency],
        // The entry sets of the hours of a request (duplicate answers).
        Query: [ITEM.subscription],
        // A subscription learnt from Microsoft and its audit entry; the Idempotency-Key records.
        PutItem: [ITEM.subscription, ITEM.idempotency],
        UpdateItem: [ITEM.subscription, ITEM.idempotency],
        // Powertools deletes a key's record when the request fails, so a retry runs again.
        DeleteItem: [ITEM.idempotency],
      },
    },
    queues: [{ queue: USAGE_QUEUE, access: 'send' }],
    marketplace: true,
  },
};

/**
 * Applies queued usage to the ledger, each event exactly once. Large batches gathered over a few seconds are what make
 * small requests cheap: the batch is merged per subscription, so its slots, totals and hour sets are written once for
 * all of its messages (docs/sending-usage.md "What it costs").
 */
export const USAGE_AGGREGATOR_FUNCTION: FunctionDefinition = {
  id: 'UsageAggregator',
  entry: 'functions/usage-aggregator/handler.ts',
  description:
    'Usage aggregator: applies queued usage to the ledger exactly once, then evaluates the alerts of what it committed',
  // Six times this is the usage queue's visibility timeout (180 s), as AWS recommends for SQS event sources. The alert
  // evaluation after a batch is time-boxed to 10 s within it (ALERT_EVALUATION_BUDGET_MS in
  // shared/use-cases/alerts/evaluate-alerts-after-aggregation.ts).
  timeoutSeconds: 30,
  // Publishes the alerts its evaluation finds (and writes them to the alert log in the table).
  uses: {
    table: {
      items: {
        // Subscriptions, budgets, credit links, approvals, slots and totals; the markers of format-1 messages; alert
        // records (sent once per alert key).
        GetItem: [ITEM.subscription, ITEM.usageMessageMarker, ITEM.alert, ITEM.partner],
        BatchGetItem: [ITEM.subscription],
        Query: [ITEM.subscription],
        PutItem: [ITEM.subscription, ITEM.alert],
        UpdateItem: [ITEM.subscription, ITEM.alert],
      },
    },
    topics: [ALERTS_TOPIC],
  },
  // Up to 2,000 messages (Lambda also stops at 6 MB of payload) gathered for up to 5 s: usage reaches the ledger within
  // seconds, long before its hour closes, and a busy subscription's many small requests share one write. At most 10
  // batches at once (issue 15 point 4): the producer is every customer's app, so nothing else bounds a backlog, which
  // would otherwise fan out into hundreds of copies colliding on the same daily totals and taking the account's
  // concurrency. Worth its 5 idle pollers.
  trigger: { queue: USAGE_QUEUE, batchSize: 2000, maxBatchingWindowSeconds: 5, maxConcurrency: 10 },
};

/** `GET /landing` shows a purchase, `POST /landing` activates it (reference/marketplace-api.md §1.2 Resolve, §1.4). */
export const LANDING_FUNCTION: FunctionDefinition = {
  id: 'Landing',
  entry: 'functions/landing/handler.ts',
  description: 'Marketplace landing page: resolves the purchase token, shows the purchase, activates the subscription',
  // A customer waits on the page: up to four marketplace calls of at most 5 s each, under API Gateway's 30 s.
  timeoutSeconds: 25,
  // A purchase is two requests (show, activate) of a few seconds each: 10 copies serve several purchases a second even
  // when Microsoft's Resolve is slow, far above an offer's purchase rate, and a flood of /landing takes no more.
  reservedConcurrency: 10,
  // The session: the customer signs in before the purchase is shown and activated, and who activated is recorded.
  uses: {
    table: {
      items: {
        // The subscription, its operations and audit; the tenant claim that makes a purchase a reseller's; the session
        // key material (made here if no function has needed it yet).
        GetItem: [ITEM.subscription, ITEM.partnerTenant, ITEM.sessionKey],
        PutItem: [ITEM.subscription, ITEM.sessionKey],
        UpdateItem: [ITEM.subscription],
      },
    },
    topics: [LIFECYCLE_TOPIC],
    marketplace: true,
    session: 'keys',
  },
};

/**
 * Sign-in with Microsoft (`/auth/*`) and the customer and partner portal's pages and assets (`/portal/*`). The pages
 * are shells whose script reads `/v1` with the session cookie, so this function touches only the session key item.
 */
export const PORTAL_FUNCTION: FunctionDefinition = {
  id: 'Portal',
  entry: 'functions/portal/handler.ts',
  description: 'Portal: sign-in with Microsoft (OpenID Connect), session cookie, portal pages and their assets',
  // The callback redeems a code at Entra (and fetches its keys on a cold start): seconds at most.
  timeoutSeconds: 15,
  // Reserved like the landing page, because a buyer signs in here before the landing page shows the purchase. Pages
  // and assets answer in milliseconds: 10 copies serve more than the stage's 100 requests/s.
  reservedConcurrency: 10,
  uses: {
    // The session key material, made here if no function has needed it yet.
    table: { items: { GetItem: [ITEM.sessionKey], PutItem: [ITEM.sessionKey] } },
    signIn: true,
    session: 'keys',
    portalAssets: true,
  },
};

/** `POST /webhook`: Microsoft's connection webhook (reference §2), JWT-authenticated and confirmed by Get Operation. */
export const FULFILLMENT_WEBHOOK_FUNCTION: FunctionDefinition = {
  id: 'FulfillmentWebhook',
  entry: 'functions/fulfillment-webhook/handler.ts',
  description: 'Marketplace webhook: verifies the Entra token, confirms with Get Operation, applies lifecycle changes',
  // A change is decided and its PATCH queued within CHANGE_DECISION_DEADLINE_MS (5 s: shared/domain/change-rules.ts);
  // applying and publishing the other actions fit in what is left.
  timeoutSeconds: 15,
  // Microsoft calls once per operation (and retries for 8 h): about a second each with Get Operation, so 10 copies
  // answer 10 calls a second while a usage backlog runs the aggregator at its cap.
  reservedConcurrency: 10,
  // Alerts topic: the partner's notice of a refused change (credit levels). The flush after a cancellation reports
  // through the same marketplace client settings and publishes MeteringRejected on the lifecycle topic. The
  // operation-answers queue: the PATCH a change owes, sent by OPERATION_ANSWERS_FUNCTION after this function's 200.
  uses: {
    table: {
      items: {
        // Subscriptions and operations; the credit levels (credit link, approvals, partner, usage totals); the
        // partner's notice (alert record and its copy); the usage flushed after a cancellation (slots, meter
        // states, the reported totals of the day).
        GetItem: [ITEM.subscription, ITEM.alert, ITEM.partner],
        BatchGetItem: [ITEM.subscription],
        Query: [ITEM.subscription],
        PutItem: [ITEM.subscription, ITEM.alert],
        UpdateItem: [ITEM.subscription, ITEM.alert, ITEM.reported],
      },
      indexQuery: [INDEX.unreported],
    },
    queues: [{ queue: OPERATION_ANSWERS_QUEUE, access: 'send' }],
    topics: [LIFECYCLE_TOPIC, ALERTS_TOPIC],
    marketplace: true,
  },
};

/**
 * PATCHes the decision of a ChangePlan / ChangeQuantity / Reinstate after the webhook has answered Microsoft (the
 * order Microsoft's reference emulator expects), then applies the change once Microsoft has it Succeeded.
 */
export const OPERATION_ANSWERS_FUNCTION: FunctionDefinition = {
  id: 'OperationAnswers',
  entry: 'functions/operation-answers/handler.ts',
  description: 'Operation answers: PATCHes a change decided by the webhook once it has answered, then applies it',
  // One PATCH (about 2 s with retries), Get Operation polls (at most 5 s), the change and its event: well under 20 s.
  timeoutSeconds: 20,
  // Reads its decisions and writes the changes; publishes their lifecycle events; PATCHes and reads operations.
  uses: {
    table: {
      items: {
        GetItem: [ITEM.subscription],
        PutItem: [ITEM.subscription],
        UpdateItem: [ITEM.subscription],
      },
    },
    topics: [LIFECYCLE_TOPIC],
    marketplace: true,
  },
  // One message per invocation: each answer races Microsoft's 10 s window, none waits behind another's PATCH. No
  // maximum concurrency: the producer bounds it. Each message is sent by one webhook call (a person changing a plan or
  // seats), and the webhook's reserved concurrency (10 copies of about a second) caps the sending at about 10 a
  // second even when Microsoft replays its webhooks after an outage; at about 2 s each, the answers then run about
  // 20 copies at most, and none waits for a free copy while Microsoft's 10 s run.
  trigger: { queue: OPERATION_ANSWERS_QUEUE, batchSize: 1 },
};

/**
 * The hourly alert check: day close (the spike of the completed day), month start (provisional credit, largest month
 * against the purchase-blocked level) and a catch-up of the evaluation after aggregation, for every Subscribed or
 * Suspended subscription. Alert keys make repeated evaluation send nothing twice.
 */
export const ALERT_CHECKS_FUNCTION: FunctionDefinition = {
  id: 'AlertChecks',
  entry: 'functions/alert-checks/handler.ts',
  description: 'Alert checks (hourly): evaluates budget, spike and reseller credit alerts of every active subscription',
  // Stops starting evaluations 30 s before this; what is left waits for the next hour (metric AlertChecksIncomplete).
  timeoutSeconds: 300,
  memoryMb: 512,
  // Reads subscriptions, settings and usage; writes the alert log; publishes alerts.
  uses: {
    table: {
      items: {
        GetItem: [ITEM.subscription, ITEM.alert, ITEM.partner],
        BatchGetItem: [ITEM.subscription],
        Query: [ITEM.subscription],
        PutItem: [ITEM.subscription, ITEM.alert],
        // Each run of its schedule is noted for the watcher of schedules (SCHEDULE_RUNS).
        UpdateItem: [ITEM.subscription, ITEM.alert, ITEM.scheduleRuns],
      },
      // Every Subscribed or Suspended subscription.
      indexQuery: [INDEX.subscriptionStatus],
    },
    topics: [ALERTS_TOPIC],
  },
};

/**
 * Starts a reporting run (schedule `UsageReport`): reads the head of each shard of the unreported index, records the
 * run, and queues one message per shard for the reporter's workers. A few queries and writes: seconds at most.
 */
export const USAGE_REPORT_DISPATCHER_FUNCTION: FunctionDefinition = {
  id: 'UsageReportDispatcher',
  entry: 'functions/usage-report-dispatcher/handler.ts',
  description: 'Usage report dispatcher: starts a reporting run, one queue message per shard of unreported usage',
  timeoutSeconds: 30,
  // Reads the unreported index and writes the run record; sends the shard messages. Watches the other schedules:
  // reads their runs and notes which it expects (SCHEDULE_RUNS).
  uses: {
    table: {
      items: {
        BatchWriteItem: [ITEM.reportingRuns],
        Query: [ITEM.scheduleRuns],
        UpdateItem: [ITEM.scheduleRuns],
      },
      indexQuery: [INDEX.unreported],
    },
    watchesSchedules: true,
    queues: [{ queue: USAGE_REPORT_QUEUE, access: 'send' }],
  },
};

/**
 * Reports one shard of the unreported usage per invocation (write-ahead, batches of 25) and resends unanswered
 * events. Each invocation stops starting work 25 s before its 60 s timeout (the last chunk's batch calls may take up
 * to 20 s with their retries) and queues its shard again when work is left. One message per invocation; at most one
 * invocation per shard does work at a time (the shard lease), so concurrency beyond the shard count would only find
 * shards busy.
 */
export const USAGE_REPORTER_FUNCTION: FunctionDefinition = {
  id: 'UsageReporter',
  entry: 'functions/usage-reporter/handler.ts',
  description: 'Usage reporter: reports the overage of closed hours of one shard to the Metering API, exactly once',
  timeoutSeconds: 60,
  memoryMb: 512,
  // Writes meter states, answers, run records, leases and the audit trail; publishes MeteringRejected alerts on the
  // lifecycle topic; queues a continuation of its shard (its event source grants the consuming).
  uses: {
    table: {
      items: {
        GetItem: [ITEM.subscription],
        BatchGetItem: [ITEM.subscription],
        Query: [ITEM.subscription, ITEM.reportingRuns],
        PutItem: [ITEM.subscription, ITEM.reportingLease],
        UpdateItem: [ITEM.subscription, ITEM.reported, ITEM.reportingRuns],
        // A worker gives its shard's lease back when it is done.
        DeleteItem: [ITEM.reportingLease],
      },
      indexQuery: [INDEX.unreported],
    },
    topics: [LIFECYCLE_TOPIC],
    marketplace: true,
    queues: [{ queue: USAGE_REPORT_QUEUE, access: 'send' }],
  },
  // No maximum concurrency: the producers bound it. A dispatch queues at most one message per shard (8 =
  // UNREPORTED_SHARDS, shared/adapters/dynamodb/metering-item-keys.ts), and a worker queues its shard again only as
  // its own invocation ends (one message consumed, at most one sent), so a run never has more than 8 messages
  // waiting or running. Runs overlapping (the next dispatch 10 minutes later, `npm run report`) add at most 8 each,
  // and a worker of a shard that is being reported finds its lease held and returns at once: at most 8 report at a
  // time whatever Lambda starts. Locally, one poller per shard so the shards are reported in parallel there too.
  trigger: { queue: USAGE_REPORT_QUEUE, batchSize: 1, localPollers: 8 },
};

/** Compares yesterday's accepted usage with Microsoft's retrieval API (read-only on both sides). */
export const USAGE_RECONCILER_FUNCTION: FunctionDefinition = {
  id: 'UsageReconciler',
  entry: 'functions/usage-reconciler/handler.ts',
  description: 'Usage reconciliation: compares the ledger with the Metering API retrieval endpoint, daily',
  timeoutSeconds: 60,
  uses: {
    // Each run of its schedule is noted for the watcher of schedules (SCHEDULE_RUNS).
    table: { items: { Query: [ITEM.reported], UpdateItem: [ITEM.scheduleRuns] } },
    marketplace: true,
  },
};

/**
 * Reconciles the store with List Subscriptions: purchases never opened on the landing page are reported, missed
 * suspensions, reinstatements, cancellations, plan and seat changes and renewals are applied (issue 4 part 3).
 */
export const SUBSCRIPTION_SYNC_FUNCTION: FunctionDefinition = {
  id: 'SubscriptionSync',
  entry: 'functions/subscription-sync/handler.ts',
  description: 'Subscription sync (hourly): reconciles stored subscriptions with the marketplace List Subscriptions',
  // Pages of 100 and one store read per subscription: thousands of subscriptions in well under a minute; it stops
  // 20 s before the timeout and the next run starts over.
  timeoutSeconds: 300,
  // Stores subscriptions it finds and applies missed changes; publishes their lifecycle events, and tells the
  // operations topic of a purchase two days from being deleted unfulfilled.
  uses: {
    table: {
      items: {
        GetItem: [ITEM.subscription],
        PutItem: [ITEM.subscription],
        // Each run of its schedule is noted for the watcher of schedules (SCHEDULE_RUNS).
        UpdateItem: [ITEM.subscription, ITEM.scheduleRuns],
      },
      indexQuery: [INDEX.subscriptionStatus],
    },
    topics: [LIFECYCLE_TOPIC, OPERATIONS_TOPIC],
    marketplace: true,
  },
};

/**
 * The hourly synthetic check of what Microsoft depends on: a marketplace token from Entra with the configured
 * credential (a placeholder, expired or revoked secret fails it) and the landing page answering; once a day it also
 * reports the days left before the credential expires (metric `EntraCredentialDaysLeft`). A failed check fails the
 * invocation; what needs an operator is counted (`EntraCanaryFailed`, `EntraCredentialExpiring`: NeedsAttentionAlarm,
 * functions/entra-canary/metrics.ts).
 */
export const ENTRA_CANARY_FUNCTION: FunctionDefinition = {
  id: 'EntraCanary',
  entry: 'functions/entra-canary/handler.ts',
  description: 'Entra canary (hourly): marketplace token from Entra, landing page answering, credential expiry',
  // One token request and one page request, each bounded to 10 s (the token request's retries included).
  timeoutSeconds: 30,
  // The Entra ids and the right to read the client secret; the landing page's URL. In the table, its own items only:
  // its failures in a row (read, and written when they change) and the runs of its schedule (SCHEDULE_RUNS).
  uses: {
    table: {
      items: {
        GetItem: [ITEM.scheduleRuns],
        PutItem: [ITEM.scheduleRuns],
        UpdateItem: [ITEM.scheduleRuns],
      },
    },
    marketplace: true,
    inspectsEntraCredential: true,
    landingPageUrl: true,
  },
};

/**
 * The pages behind the links sent to alert contacts (`/contacts/confirm`, `/contacts/unsubscribe`): public, the
 * signed token in the link is the credential. A function of its own rather than the Api's: it is reached by anyone
 * with a link, holds no API-key or session logic, and may only read and change contact states.
 */
export const CONTACT_PAGES_FUNCTION: FunctionDefinition = {
  id: 'ContactPages',
  entry: 'functions/contact-pages/handler.ts',
  description: 'Contact pages: confirm an alert address, unsubscribe from alerts (also RFC 8058 one-click)',
  // One or two item reads and one conditional write.
  timeoutSeconds: 10,
  // Reads a contact's state and changes it (confirm, mute a rule, opt out); reads (or makes) the link key material.
  uses: {
    table: {
      items: {
        GetItem: [ITEM.contact, ITEM.sessionKey],
        PutItem: [ITEM.sessionKey],
        UpdateItem: [ITEM.contact],
      },
    },
    contactLinks: true,
  },
};

/**
 * Applies the channels' delivery events to contact states: SES permanent bounces and complaints, End User Messaging
 * SMS invalid numbers and opt-outs (docs/alerts.md "Bounces, complaints and opt-outs").
 */
export const CONTACT_EVENTS_FUNCTION: FunctionDefinition = {
  id: 'ContactEvents',
  entry: 'functions/contact-events/handler.ts',
  description: 'Contact events: SES bounces and complaints, SMS failures and opt-outs → contact states',
  // A batch of ten records, one conditional write per affected contact: seconds at most.
  timeoutSeconds: 20,
  // Marks contacts bounced, complained or opted out: updates of their own partition only.
  uses: { table: { items: { GetItem: [ITEM.contact], UpdateItem: [ITEM.contact] } } },
  // Events arrive a few at a time, gathered for 5 s. No maximum concurrency: the producers bound it. Every event
  // answers a message we sent (a bounce, a complaint, an opt-out reply): an alert from the notifier, which sends at
  // most 2 batches at once (its own maximum concurrency), or a confirmation sent when a contact is saved, at the pace
  // of the API's throttled routes. So even a mailing to a dead domain bounces at the senders' pace, and batches of 10
  // one-write events take a copy or two.
  trigger: { queue: CONTACT_EVENTS_QUEUE, batchSize: 10, maxBatchingWindowSeconds: 5 },
};

/**
 * Sends each alert of the alerts topic to its recipient's contacts by e-mail (SES) and SMS (End User Messaging),
 * according to each contact's state, and records the delivery per contact (docs/alerts.md "Delivery").
 */
export const ALERT_NOTIFIER_FUNCTION: FunctionDefinition = {
  id: 'AlertNotifier',
  entry: 'functions/alert-notifier/handler.ts',
  description: 'Alert notifier: sends each alert to its recipient’s confirmed contacts by e-mail and SMS, per contact',
  // A handful of contacts per alert, one channel call each (a second or less): 30 s leaves room for the SDK's retries.
  timeoutSeconds: 30,
  // Reads settings and contact states, writes delivery records and undeliverable states; delays held alerts on its
  // own queue (ChangeMessageVisibility, part of the consume grant).
  uses: {
    table: {
      // Budgets (a customer's contacts) and partners; contact states (read, and marked undeliverable on a refusal);
      // the delivery records under each alert (claimed per contact before sending).
      items: {
        // The link key material of the unsubscribe links, read (or made) like the session's.
        GetItem: [ITEM.subscription, ITEM.partner, ITEM.contact, ITEM.alert, ITEM.sessionKey],
        Query: [ITEM.alert],
        PutItem: [ITEM.alert, ITEM.sessionKey],
        UpdateItem: [ITEM.contact, ITEM.alert],
      },
      // A customer's budgets (all its subscriptions' contacts).
      indexQuery: [INDEX.customer],
    },
    queues: [{ queue: NOTIFICATIONS_QUEUE, access: 'consume' }],
    sendsAlerts: true,
    // Unsubscribe links in every e-mail (signed with a key derived from the session key material, at the public base URL).
    contactLinks: true,
    smsCountries: true,
  },
  // Ten alerts per invocation; at most two copies, so a burst of alerts (a month start, thousands of budgets checked in
  // the same hour) is paced under SES's sending rate (14 per second for a new account) and leaves concurrency to the
  // landing page and the webhook. The cap is also what keeps held alerts alive: an alert waiting for its contact to
  // confirm comes back about 20 times within the queue's 30 receives, and messages Lambda receives for copies it then
  // cannot run (throttled) count as receives too; the maximum concurrency makes Lambda receive no more than the copies
  // it may run. Worth its 5 idle pollers.
  trigger: { queue: NOTIFICATIONS_QUEUE, batchSize: 10, maxConcurrency: 2 },
};

export const FUNCTIONS: readonly FunctionDefinition[] = [
  API_FUNCTION,
  PUBLISHER_OPERATIONS_FUNCTION,
  USAGE_INGEST_FUNCTION,
  USAGE_AGGREGATOR_FUNCTION,
  LANDING_FUNCTION,
  PORTAL_FUNCTION,
  FULFILLMENT_WEBHOOK_FUNCTION,
  OPERATION_ANSWERS_FUNCTION,
  ALERT_CHECKS_FUNCTION,
  USAGE_REPORT_DISPATCHER_FUNCTION,
  USAGE_REPORTER_FUNCTION,
  USAGE_RECONCILER_FUNCTION,
  SUBSCRIPTION_SYNC_FUNCTION,
  ENTRA_CANARY_FUNCTION,
  CONTACT_PAGES_FUNCTION,
  CONTACT_EVENTS_FUNCTION,
  ALERT_NOTIFIER_FUNCTION,
];

/** Concurrency the functions reserve together; the account needs this plus Lambda's 100 unreserved copies. */
export function totalReservedConcurrency(functions: readonly FunctionDefinition[] = FUNCTIONS): number {
  return functions.reduce((sum, definition) => sum + (definition.reservedConcurrency ?? 0), 0);
}

export const HTTP_ROUTES: readonly HttpRouteDefinition[] = [
  { path: '/health', methods: ['GET'], functionId: PUBLISHER_OPERATIONS_FUNCTION.id, auth: 'apiKey' },
  // The publisher operations call Microsoft: routes of their own, to the function that carries the marketplace client
  // (more specific than `/v1/{proxy+}`, so API Gateway and the local mode send them there).
  ...(
    [
      ['/v1/subscriptions/{subscriptionId}/plan', 'POST'],
      ['/v1/subscriptions/{subscriptionId}/quantity', 'POST'],
      ['/v1/subscriptions/{subscriptionId}', 'DELETE'],
      ['/v1/subscriptions/{subscriptionId}/operations/{operationId}', 'GET'],
    ] as const
  ).map(([path, method]) => ({
    path,
    methods: [method],
    functionId: PUBLISHER_OPERATIONS_FUNCTION.id,
    auth: 'apiKey' as const,
  })),
  { path: '/v1/usage', methods: ['POST'], functionId: USAGE_INGEST_FUNCTION.id, auth: 'apiKey' },
  // Also served by the greedy route below; stated so the reporter's runs show in the route list (`npm run report`).
  { path: '/v1/reporting/runs', methods: ['GET', 'POST'], functionId: API_FUNCTION.id, auth: 'apiKey' },
  { path: '/v1/{proxy+}', methods: ['ANY'], functionId: API_FUNCTION.id, auth: 'apiKey' },
  // Also served by the greedy route; routes of their own so that their tighter throttle (each request may send an
  // e-mail or an SMS the publisher pays for) is not shared with the rest of /v1.
  {
    path: '/v1/subscriptions/{subscriptionId}/contacts/{contact}/confirmation',
    methods: ['POST'],
    functionId: API_FUNCTION.id,
    auth: 'apiKey',
  },
  {
    path: '/v1/partners/{partnerId}/contacts/{contact}/confirmation',
    methods: ['POST'],
    functionId: API_FUNCTION.id,
    auth: 'apiKey',
  },
  // The API's description (OpenAPI 3.1) and its readable page: public, so literal routes of their own (the Api
  // function recognises public routes by their route key).
  { path: '/openapi.json', methods: ['GET'], functionId: API_FUNCTION.id, auth: 'public' },
  { path: '/docs/api', methods: ['GET'], functionId: API_FUNCTION.id, auth: 'public' },
  // Microsoft sends customers to the landing page and posts to the webhook: neither carries an API key. The landing
  // page also signs the customer in (session) before it shows the purchase.
  { path: '/landing', methods: ['GET', 'POST'], functionId: LANDING_FUNCTION.id, auth: 'marketplaceToken' },
  // The portal and its sign-in: pages ask for a session, not a key; the sign-in steps lead to one.
  { path: '/portal', methods: ['GET'], functionId: PORTAL_FUNCTION.id, auth: 'session' },
  { path: '/portal/{proxy+}', methods: ['GET'], functionId: PORTAL_FUNCTION.id, auth: 'session' },
  { path: '/auth/sign-in', methods: ['GET'], functionId: PORTAL_FUNCTION.id, auth: 'public' },
  { path: '/auth/callback', methods: ['GET'], functionId: PORTAL_FUNCTION.id, auth: 'public' },
  { path: '/auth/sign-out', methods: ['POST'], functionId: PORTAL_FUNCTION.id, auth: 'session' },
  { path: '/webhook', methods: ['POST'], functionId: FULFILLMENT_WEBHOOK_FUNCTION.id, auth: 'entraToken' },
  // Links in confirmation messages and alerts: the person has no key and no session, the signed token in the link is
  // the credential (public). GET shows a page, POST acts (RFC 8058 one-click POSTs to the unsubscribe URL).
  { path: '/contacts/confirm', methods: ['GET', 'POST'], functionId: CONTACT_PAGES_FUNCTION.id, auth: 'public' },
  { path: '/contacts/unsubscribe', methods: ['GET', 'POST'], functionId: CONTACT_PAGES_FUNCTION.id, auth: 'public' },
];

/**
 * Scheduled handlers. The Scheduler target's input names the schedule (`{"schedule": "<id>"}`, as the local scheduler's
 * event does), and each scheduled function but the watcher's notes every run of it (`scheduledRunRecording`), for the
 * watcher of schedules (`watchesSchedules`).
 */
export const SCHEDULES: readonly ScheduleDefinition[] = [
  {
    id: 'AlertChecks',
    functionId: ALERT_CHECKS_FUNCTION.id,
    // Hourly rather than a daily and a monthly schedule: local midnight (day close, month start) differs per budget
    // time zone, and an hourly run reaches each within the hour; alerts are keyed by day or month, so the other 23
    // runs of a day send nothing twice.
    everyMinutes: 60,
    description: 'Alert checks: day-close spikes, month-start credit checks, catch-up of near-real-time evaluation',
  },
  {
    id: 'UsageReport',
    functionId: USAGE_REPORT_DISPATCHER_FUNCTION.id,
    // Every 10 minutes rather than hourly: an hour is then reported at most grace + 10 min after it closes (20 min by
    // default) whatever minute the schedule started at, a failed or throttled run is retried 10 minutes later instead
    // of an hour later (23 h 40 min of Microsoft's 24 h window stay for retries), and an idle run costs two index
    // queries and one queue message per shard.
    everyMinutes: 10,
    description: 'Starts a reporting run: one message per shard for the usage reporter workers',
    watchesSchedules: true,
  },
  {
    id: 'UsageReconcile',
    functionId: USAGE_RECONCILER_FUNCTION.id,
    everyMinutes: 24 * 60,
    description: 'Compares yesterday’s accepted usage with the Metering API retrieval endpoint',
  },
  {
    id: 'SubscriptionSync',
    functionId: SUBSCRIPTION_SYNC_FUNCTION.id,
    // Hourly: a purchase never opened is reported within PENDING_PURCHASE_ALERT_MINUTES + 60 min, a missed webhook
    // within the hour (Microsoft itself retries webhooks for 8 hours, §0), at one List call per 100 subscriptions.
    everyMinutes: 60,
    description: 'Reconciles stored subscriptions with List Subscriptions; reports purchases never opened',
  },
  {
    id: 'EntraCanary',
    functionId: ENTRA_CANARY_FUNCTION.id,
    // Hourly: a secret that stops working (expired, revoked, the placeholder never replaced) or a landing page that
    // stopped answering is noticed within the hour (a failed run counts EntraCanaryFailed, NeedsAttentionAlarm), at
    // 730 short invocations a month.
    everyMinutes: 60,
    description: 'Entra canary: marketplace token, landing page, credential expiry',
  },
];

/**
 * The schedules the watcher (`watchesSchedules`) expects to run: the deployed ones, but those of the watcher itself
 * (a free alarm watches its schedule). A schedule a deployment leaves out is not in the list, so it never counts.
 */
export function watchedSchedules(
  schedules: readonly ScheduleDefinition[],
  functions: readonly FunctionDefinition[] = FUNCTIONS,
): ScheduleDefinition[] {
  const watchers = new Set(functions.filter((fn) => fn.uses.watchesSchedules).map((fn) => fn.id));
  return schedules.filter((schedule) => !watchers.has(schedule.functionId));
}

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
