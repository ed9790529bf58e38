/**
 * The kinds of setting a function reads, and the settings several functions share (the table, the queues and topics
 * infra binds, the catalog). A function's `config.ts` spreads the pieces it needs into one zod object for
 * `loadSettings`, so its configuration lists exactly the variables it reads.
 *
 * Infrastructure values have no defaults on purpose: a missing table name must stop the function at start with a
 * clear message, not write to a wrong table. Behaviour settings (not addresses) may have defaults; each default is a
 * named constant with its reason, next to the function that uses it.
 */
import * as z from 'zod';
import { isValidTimeZone } from '#shared/domain/alerts/calendar.ts';
import { ENV } from '#shared/env-names.ts';
import { ConfigError } from './load-settings.ts';

/**
 * A value the function cannot run without, such as an address infra sets (`infra/constructs/bind.ts`).
 * @param holds what the variable should hold, for the message when it is missing or empty.
 */
export function required(holds: string) {
  return z
    .string({
      error: (issue) => (issue.input === undefined ? `is not set: it should hold ${holds}` : `must be ${holds}`),
    })
    .trim()
    .min(1, { error: `is empty: it should hold ${holds}` });
}

/** A value that may be absent; an empty one counts as absent (a variable set to nothing in a shell or a file). */
export function optional() {
  return z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === '' ? undefined : value));
}

/**
 * An optional whole number of `unit` within bounds; absent means the caller's default. The bounds stop a unit
 * mistake (seconds typed as minutes) at cold start instead of letting it run.
 */
export function optionalWholeNumber(unit: 'minutes' | 'hours', min: number, max: number) {
  const rule = `must be a whole number of ${unit} from ${min} to ${max}`;
  return optional().pipe(
    z.coerce
      .number<string>({ error: rule })
      .int({ error: rule })
      .min(min, { error: rule })
      .max(max, { error: rule })
      .optional(),
  );
}

/**
 * `WATCHED_SCHEDULES` as the stack and the local mode write it: `<schedule id>=<every minutes>`, comma-separated, in
 * the order given; empty for none.
 */
export function watchedSchedulesValue(
  schedules: readonly { readonly id: string; readonly everyMinutes: number }[],
): string {
  return schedules.map((schedule) => `${schedule.id}=${schedule.everyMinutes}`).join(',');
}

const WATCHED_SCHEDULE_ENTRY = /^([A-Za-z][A-Za-z0-9]*)=([1-9][0-9]*)$/;

/**
 * The schedules the watcher expects (`watchedSchedulesValue`). Set, even when empty, by whatever deploys the watcher:
 * a missing variable is a deployment defect, not "watch nothing".
 */
export const WATCHED_SCHEDULES_SETTINGS = {
  [ENV.watchedSchedules]: z
    .string({ error: 'is not set: it should hold the watched schedules as <schedule id>=<minutes>, comma-separated' })
    .transform((value, context) => {
      const entries = value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
      const schedules: { id: string; everyMinutes: number }[] = [];
      for (const entry of entries) {
        const match = WATCHED_SCHEDULE_ENTRY.exec(entry);
        if (!match?.[1] || !match[2]) {
          context.addIssue({
            code: 'custom',
            message: `has "${entry}": each entry must be <schedule id>=<whole minutes>, e.g. AlertChecks=60`,
          });
          return z.NEVER;
        }
        schedules.push({ id: match[1], everyMinutes: Number(match[2]) });
      }
      return schedules;
    }),
};

/** The main table (`infra/resources.ts` MAIN_TABLE): every function reads or writes it. */
export const TABLE_SETTINGS = {
  [ENV.tableName]: required('the name of the main DynamoDB table'),
};

/** The usage queue (`USAGE_QUEUE`), for the functions that send to it. */
export const USAGE_QUEUE_SETTINGS = {
  [ENV.usageQueueUrl]: required('the URL of the usage SQS queue'),
};

/** The operation-answers queue (`OPERATION_ANSWERS_QUEUE`): the webhook sends to it, its consumer reads it. */
export const OPERATION_ANSWERS_QUEUE_SETTINGS = {
  [ENV.operationAnswersQueueUrl]: required('the URL of the operation-answers SQS queue'),
};

/** The usage-report queue (`USAGE_REPORT_QUEUE`): one message per shard of a reporting run. */
export const USAGE_REPORT_QUEUE_SETTINGS = {
  [ENV.usageReportQueueUrl]: required('the URL of the usage-report SQS queue'),
};

/** The lifecycle topic (`LIFECYCLE_TOPIC`): lifecycle events and metering alerts for the publisher's app. */
export const LIFECYCLE_TOPIC_SETTINGS = {
  [ENV.lifecycleTopicArn]: required('the ARN of the lifecycle SNS topic'),
};

/** The operations topic (`OPERATIONS_TOPIC`): alarms, and notices a person must act on. */
export const OPERATIONS_TOPIC_SETTINGS = {
  [ENV.operationsTopicArn]: required('the ARN of the operations SNS topic'),
};

/**
 * The alerts topic (`ALERTS_TOPIC`), and in local mode the queue that stands in for e-mail and SMS (never set in
 * AWS, where alerts go out by e-mail and SMS).
 */
export const ALERTS_SETTINGS = {
  [ENV.alertsTopicArn]: required('the ARN of the alerts SNS topic'),
  [ENV.alertsOutboxQueueUrl]: optional(),
  // Unset means UTC (calendar.ts DEFAULT_TIME_ZONE): the months every partner without its own time zone follows.
  [ENV.publisherTimeZone]: optional().refine((zone) => zone === undefined || isValidTimeZone(zone), {
    error: 'must be an IANA time zone such as Asia/Tokyo or UTC',
  }),
};

export interface AlertsSettings {
  readonly alertsTopicArn: string;
  /** Local mode only: the alert outbox queue. */
  readonly alertsOutboxQueueUrl?: string;
  /** The publisher's time zone: the months of reseller partners without their own; unset means UTC. */
  readonly publisherTimeZone?: string;
}

/** The alert settings out of parsed `ALERTS_SETTINGS`. */
export function alertsSettings(values: z.output<z.ZodObject<typeof ALERTS_SETTINGS>>): AlertsSettings {
  const outbox = values[ENV.alertsOutboxQueueUrl];
  const zone = values[ENV.publisherTimeZone];
  return {
    alertsTopicArn: values[ENV.alertsTopicArn],
    ...(outbox === undefined ? {} : { alertsOutboxQueueUrl: outbox }),
    ...(zone === undefined ? {} : { publisherTimeZone: zone }),
  };
}

/**
 * The catalog as JSON: compiled into the bundle by the CDK app (AWS), set by local mode and the tests, or a JSON file's
 * path. One must be set.
 */
export const CATALOG_SETTINGS = {
  [ENV.catalogJson]: optional(),
  [ENV.catalogPath]: optional(),
};

/** Where the plan catalog comes from (`loadConfiguredCatalog` reads it). */
export type CatalogSource = { readonly json: string } | { readonly path: string };

/**
 * The catalog source out of parsed `CATALOG_SETTINGS`; the compiled-in catalog wins over a file.
 * @throws ConfigError when neither is set.
 */
export function catalogSource(values: z.output<z.ZodObject<typeof CATALOG_SETTINGS>>): CatalogSource {
  const json = values[ENV.catalogJson];
  const path = values[ENV.catalogPath];
  if (json) return { json };
  if (path) return { path };
  throw new ConfigError(
    `Invalid configuration: set ${ENV.catalogJson} or ${ENV.catalogPath} to the plan catalog ` +
      `(${ENV.catalogJson}: the catalog as JSON, e.g. infra/catalog/catalog.yaml read with loadCatalog; ${ENV.catalogPath}: the path of a JSON catalog file)`,
  );
}

/**
 * What evaluating alerts needs (`buildAlertDependencies`): the table, the alerts topic and the catalog. The hourly
 * alert checks and the usage aggregator (which evaluates alerts after each batch) read exactly these.
 */
export const ALERT_EVALUATION_SETTINGS = { ...TABLE_SETTINGS, ...ALERTS_SETTINGS, ...CATALOG_SETTINGS };

export interface AlertEvaluationConfig extends AlertsSettings {
  readonly tableName: string;
  readonly catalog: CatalogSource;
}

/** The alert-evaluation configuration out of parsed `ALERT_EVALUATION_SETTINGS`. */
export function alertEvaluationConfig(
  values: z.output<z.ZodObject<typeof ALERT_EVALUATION_SETTINGS>>,
): AlertEvaluationConfig {
  return { tableName: values[ENV.tableName], ...alertsSettings(values), catalog: catalogSource(values) };
}
