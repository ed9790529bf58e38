import type { Node } from 'constructs';
import { DEFAULT_SMS_COUNTRIES, parseSmsCountries, type SmsCountry } from '#shared/domain/alerts/phone-countries.ts';

/**
 * The deployment's settings, read once from the CDK context (`cdk deploy -c key=value`, or `context` in `cdk.json`)
 * and handed to both stacks, so every setting is described, validated and defaulted in one place. docs/deploy.md
 * lists them.
 *
 * Add a setting here (field, reader line, doc comment) rather than reading `tryGetContext` in a stack.
 */
export interface DeploymentSettings {
  /** `stackPrefix` (default `Marketplace`): stacks are `<prefix>Stateful` and `<prefix>Stateless`. */
  readonly stackPrefix: string;
  /** `catalog` (default `infra/catalog/catalog.yaml`): the plan catalog, YAML or JSON. */
  readonly catalogPath: string;
  /**
   * `smsCountries` (default `JP`): ISO country codes alert SMS may go to, e.g. `JP,US`: those the publisher registered
   * an origination identity for in AWS End User Messaging SMS. A phone number elsewhere is refused when a budget or
   * partner is saved (400 naming these), and the SMS channel sends nowhere else. Given to the functions as
   * `SMS_ALLOWED_COUNTRIES`. Supported: those of shared/domain/alerts/phone-countries.ts.
   */
  readonly smsCountries: readonly SmsCountry[];
  /**
   * `alertEmailDomain` (default none): the publisher's domain alert e-mail is sent from (`alerts.example.com`). The
   * stateful stack creates its SES identity with Easy DKIM (three CNAME records to publish, docs/deploy.md) and a
   * configuration set whose events (bounces, complaints, deliveries, rejects) go to the DeliveryEvents topic. Unset:
   * no e-mail alerts (the notifier logs so at cold start, the history reports `emailNotConfigured`).
   */
  readonly alertEmailDomain?: string;
  /**
   * `alertEmailFrom` (default `Alerts <alerts@<alertEmailDomain>>`): the sender of alert e-mail; its address must be
   * of `alertEmailDomain`.
   */
  readonly alertEmailFrom?: string;
  /**
   * `smsOriginationIdentityArn` (default none): the ARN of the registered origination identity SMS is sent from (a
   * phone number, sender id or pool of AWS End User Messaging SMS: a US toll-free number or 10DLC campaign, a
   * Japanese sender id…, docs/deploy.md). An ARN, so the notifier may send from that identity only. Unset: no SMS.
   */
  readonly smsOriginationIdentityArn?: string;
  /**
   * `smsSpendAlarmUsd` (default 20): the month-to-date SMS spend, in US dollars, at which the spend alarm notifies the
   * operations topic (End User Messaging's own spend limit stops sending at its limit; this warns before).
   */
  readonly smsSpendAlarmUsd: number;
}

/** Alarm on SMS spend from USD 20 a month: about 250 alert SMS to Japan, or 2,500 in the US. */
export const DEFAULT_SMS_SPEND_ALARM_USD = 20;

export const DEFAULT_CATALOG_PATH = 'infra/catalog/catalog.yaml';

/** @throws DeploymentSettingsError naming the context key and what it must be. */
export function readDeploymentSettings(node: Node): DeploymentSettings {
  const context = new ContextReader(node);
  return {
    stackPrefix: context.string('stackPrefix') ?? 'Marketplace',
    catalogPath: context.string('catalog') ?? DEFAULT_CATALOG_PATH,
    smsCountries: smsCountriesOf(context.list('smsCountries')),
    ...alertChannelSettings(context),
    smsSpendAlarmUsd: context.integer('smsSpendAlarmUsd', { min: 1, max: 1_000_000 }) ?? DEFAULT_SMS_SPEND_ALARM_USD,
  };
}

function smsCountriesOf(list: readonly string[] | undefined): readonly SmsCountry[] {
  if (list === undefined) return DEFAULT_SMS_COUNTRIES;
  try {
    return parseSmsCountries(list.join(','));
  } catch (error) {
    throw new DeploymentSettingsError(`Context "smsCountries": ${(error as Error).message}`);
  }
}

/** @throws DeploymentSettingsError for a sender outside the domain, or an origination identity that is no ARN. */
function alertChannelSettings(
  context: ContextReader,
): Pick<DeploymentSettings, 'alertEmailDomain' | 'alertEmailFrom' | 'smsOriginationIdentityArn'> {
  const domain = context.string('alertEmailDomain')?.toLowerCase();
  const from = context.string('alertEmailFrom');
  if (from && !domain) {
    throw new DeploymentSettingsError('Context "alertEmailFrom" needs "alertEmailDomain" (the domain SES verifies)');
  }
  if (domain && !/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/.test(domain)) {
    throw new DeploymentSettingsError(`Context "alertEmailDomain" must be a domain name such as alerts.example.com`);
  }
  const address = from?.match(/<([^>]+)>\s*$/)?.[1] ?? from;
  if (domain && address && !address.toLowerCase().endsWith(`@${domain}`)) {
    throw new DeploymentSettingsError(`Context "alertEmailFrom" must be an address of ${domain}, got ${from}`);
  }
  const origination = context.string('smsOriginationIdentityArn');
  if (origination && !/^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|sender-id|pool)\//.test(origination)) {
    throw new DeploymentSettingsError(
      'Context "smsOriginationIdentityArn" must be the ARN of an End User Messaging phone number, sender id or pool ' +
        `(arn:aws:sms-voice:<region>:<account>:phone-number/<id>), got ${origination}`,
    );
  }
  return {
    ...(domain ? { alertEmailDomain: domain, alertEmailFrom: from ?? `Alerts <alerts@${domain}>` } : {}),
    ...(origination ? { smsOriginationIdentityArn: origination } : {}),
  };
}

export class DeploymentSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentSettingsError';
  }
}

/** Typed access to context values (strings from `-c`, or JSON values from `cdk.json`). */
export class ContextReader {
  constructor(private readonly node: Node) {}

  string(key: string): string | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') {
      throw new DeploymentSettingsError(`Context "${key}" must be a non-empty string`);
    }
    return value;
  }

  /** Accepts a number or a string of digits (`-c` values are strings). */
  integer(key: string, limits: { min: number; max: number }): number | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (value === undefined) return undefined;
    const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < limits.min || number > limits.max) {
      throw new DeploymentSettingsError(
        `Context "${key}" must be a whole number from ${limits.min} to ${limits.max}, got ${JSON.stringify(value)}`,
      );
    }
    return number;
  }

  /** Accepts true/false or the strings `true`/`false`. */
  boolean(key: string): boolean | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new DeploymentSettingsError(`Context "${key}" must be true or false, got ${JSON.stringify(value)}`);
  }

  /** A comma-separated string or a JSON array of strings. */
  list(key: string): string[] | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string')
      return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
    throw new DeploymentSettingsError(`Context "${key}" must be a comma-separated list, got ${JSON.stringify(value)}`);
  }
}
