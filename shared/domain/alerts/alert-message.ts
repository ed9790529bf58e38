/**
 * The alert as it is published, stated once: its fields (`AlertMessage`), its JSON form (`AlertNotification`, what
 * programmatic subscribers of the alerts topic receive: SQS, HTTPS, Lambda, and the local outbox) and the message
 * attributes subscriptions filter on (`alertAttributes`). The use case builds the message, the SNS adapter publishes
 * it, and every reader (the outbox, the tests, a publisher's own subscriber) parses it back with the schema here.
 *
 * Why a zod schema in the domain: the JSON form is a contract this project publishes, not an input it merely
 * tolerates, so its one statement belongs to the module that owns the alert; the adapters that carry it only wrap it
 * (SNS structure and envelope) and must not restate its fields.
 */
import * as z from 'zod';
import {
  ALERT_RULES,
  type AlertCandidate,
  type AlertRecipient,
  type AlertRule,
  type AlertSeverity,
  factsToStored,
  recipientAddress,
  recipientFromAddress,
  type StoredFact,
} from '#shared/domain/alerts/alert.ts';
import type { RenderedAlert } from '#shared/domain/alerts/templates.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { describeIssues } from '#shared/zod-issues.ts';

/** What is published for one alert: who it is for, what fired, the texts for each channel and the numbers. */
export interface AlertMessage {
  /** The alert's deduplication key (`alertKey`). */
  readonly key: string;
  readonly recipient: AlertRecipient;
  readonly rule: AlertRule;
  readonly threshold?: string;
  readonly periodKey: string;
  readonly severity: AlertSeverity;
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly subject: string;
  readonly body: string;
  readonly sms: string;
  /** The numbers the texts quote, amounts as decimal strings: for programmatic subscribers (SQS, HTTPS, Lambda). */
  readonly facts: Readonly<Record<string, StoredFact>>;
}

/**
 * The message of a recorded alert: its key, the candidate that fired and the texts rendered when it was first
 * recorded (a retry publishes the same texts).
 */
export function alertMessageOf(key: string, candidate: AlertCandidate, texts: RenderedAlert): AlertMessage {
  return {
    key,
    recipient: candidate.recipient,
    rule: candidate.rule,
    ...(candidate.threshold === undefined ? {} : { threshold: candidate.threshold }),
    periodKey: candidate.periodKey,
    severity: candidate.severity,
    subscriptionId: candidate.subscriptionId,
    customerId: candidate.customerId,
    subject: texts.subject,
    body: texts.body,
    sms: texts.sms,
    facts: factsToStored(candidate),
  };
}

const SEVERITIES = ['info', 'warning', 'critical'] as const satisfies readonly AlertSeverity[];

const storedFactSchema = z.union([z.string(), z.boolean(), z.object({ amount: z.string(), currency: z.string() })]);

/**
 * The JSON form of an alert. Unknown fields are ignored, so a subscriber built against this version keeps reading
 * alerts that carry more.
 */
export const alertNotificationSchema = z.object({
  alertKey: z.string().min(1),
  /** `customer:<id>` or `partner:<id>` (`recipientAddress`), as in the `recipient` attribute. */
  recipient: z.string().regex(/^(customer|partner):./s, 'must be customer:<id> or partner:<id>'),
  rule: z.enum(ALERT_RULES),
  threshold: z.string().optional(),
  periodKey: z.string().min(1),
  severity: z.enum(SEVERITIES),
  subscriptionId: z.string().min(1),
  customerId: z.string(),
  subject: z.string(),
  body: z.string(),
  sms: z.string(),
  facts: z.record(z.string(), storedFactSchema),
});

/** The JSON document subscribers receive for one alert. */
export type AlertNotification = z.infer<typeof alertNotificationSchema>;

/** The JSON form of a message (serialise it with `JSON.stringify`). */
export function toAlertNotification(message: AlertMessage): AlertNotification {
  return {
    alertKey: message.key,
    recipient: recipientAddress(message.recipient),
    rule: message.rule,
    ...(message.threshold === undefined ? {} : { threshold: message.threshold }),
    periodKey: message.periodKey,
    severity: message.severity,
    subscriptionId: message.subscriptionId,
    customerId: message.customerId,
    subject: message.subject,
    body: message.body,
    sms: message.sms,
    facts: message.facts,
  };
}

/**
 * Reads the JSON form of an alert (already parsed from text) back into its message.
 * @throws {ValidationError} naming each field that is missing or wrong.
 */
export function alertFromNotification(value: unknown): AlertMessage {
  const parsed = alertNotificationSchema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`Not an alert notification: ${describeIssues(parsed.error)}`);
  }
  const { alertKey, recipient, threshold, ...rest } = parsed.data;
  return {
    ...rest,
    key: alertKey,
    recipient: recipientFromAddress(recipient),
    ...(threshold === undefined ? {} : { threshold }),
  };
}

/**
 * The message attributes of an alert: what subscriptions filter on. Every contact of a recipient is subscribed with
 * a filter policy on `ALERT_FILTER_ATTRIBUTE` alone, so it receives its own recipient's alerts and nothing else
 * (DESIGN invariant 7); the others let a programmatic subscriber narrow further (`role`, `rule`, `severity`,
 * `subscriptionId`).
 */
export interface AlertAttributes {
  /** `recipientAddress` of the recipient. */
  readonly recipient: string;
  readonly role: AlertRecipient['kind'];
  readonly rule: AlertRule;
  readonly severity: AlertSeverity;
  readonly subscriptionId: string;
}

/** The attribute every alert contact's filter policy names. */
export const ALERT_FILTER_ATTRIBUTE = 'recipient' satisfies keyof AlertAttributes;

/** The message attributes of a message. */
export function alertAttributes(message: AlertMessage): AlertAttributes {
  return {
    recipient: recipientAddress(message.recipient),
    role: message.recipient.kind,
    rule: message.rule,
    severity: message.severity,
    subscriptionId: message.subscriptionId,
  };
}
