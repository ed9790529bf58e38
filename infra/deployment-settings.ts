import type { Node } from 'constructs';
import { DEFAULT_SMS_COUNTRIES, parseSmsCountries, type SmsCountry } from '#shared/domain/alerts/phone-countries.ts';
import { ORIGIN_GUARD_MODES, type OriginGuardMode } from '#shared/http/origin-guard-mode.ts';

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
   * `reserveConcurrency` (default `true`): deploy the reserved concurrency of the functions that must answer during a
   * backlog (webhook, landing page, sign-in: `reservedConcurrency` in infra/functions.ts). Lambda refuses a
   * reservation that leaves fewer than 100 copies unreserved, so an account whose concurrency limit is below the
   * total plus 100 (a new account often has 10) deploys with `false` until its quota is raised. On by default because
   * an account fit for production has the standard 1,000, and a backlog starving Microsoft's webhook is the failure
   * this prevents; a low-limit account fails its first deploy with Lambda's message, which docs/deploy.md explains.
   */
  readonly reserveConcurrency: boolean;
  /**
   * `domainName` (default none): serve the API at `https://<domainName>` through CloudFront and AWS WAF
   * (infra/stacks/edge-stack.ts, infra/stacks/firewall-stack.ts). Unset: no edge stacks, nothing with a monthly fee.
   */
  readonly customDomain?: CustomDomainSettings;
  /**
   * `backupRetentionDays` (default `DEFAULT_BACKUP_RETENTION_DAYS`, 91): how long the weekly AWS Backup copies of the
   * table are kept in the retained vault (infra/constructs/table-backup.ts); `0` builds no plan, vault or alarm (a
   * throwaway stack). Point-in-time recovery covers the last 35 days either way.
   */
  readonly backupRetentionDays: number;
  /**
   * `tableName` (default none: the stateful stack creates the table): the name of an existing table, in the same
   * account and region, that the stacks use instead, such as a table restored from a backup (docs/restore.md).
   */
  readonly tableName?: string;
  /**
   * `onCallEmail` (default none): an e-mail address subscribed to the operations topic, where every alarm goes.
   * AWS sends it a confirmation mail first; nothing arrives until it is confirmed. Without it, subscribe someone
   * (or a chat integration) to the `OperationsTopicArn` output after deploying.
   */
  readonly onCallEmail?: string;
  /**
   * `functionAlarms` (default `account`): how function errors and throttles are alarmed. `account`: two alarms on
   * Lambda's account-wide `Errors` and `Throttles` (USD 0.20 a month; right in an account of its own, as AWS advises
   * for a workload: any other function of the account and region would also raise them). `perFunction`: two alarms
   * per function (USD 0.20 a month each), for an account shared with other workloads. `none`: rely on the API's 5xx,
   * the queues and the schedules' failure queue, which watch every function too (docs/cost.md).
   */
  readonly functionAlarms: FunctionAlarms;
  /** `dashboard` (default true): the CloudWatch dashboard of the whole system (USD 3 a month beyond the free 3). */
  readonly dashboard: boolean;
  /**
   * `smokeTestWebhooks` (default false): the webhook also accepts the smoke check's test webhooks, each signed by the
   * key of one smoke run and valid for the one test subscription (`smoke-test-…`) that run made, never for a real
   * subscription, never reaching Microsoft (docs/security.md "Test webhooks"). Off: `npm run smoke` checks that a
   * test webhook is refused instead.
   */
  readonly smokeTestWebhooks: boolean;
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
  /**
   * `secretStore` (default `parameterStore`): where the two Entra client secrets (the marketplace app's and the
   * sign-in app's) are kept. `parameterStore`: SSM Parameter Store `SecureString` parameters that the publisher
   * creates with `aws ssm put-parameter` (CloudFormation cannot create them); standard parameters have no monthly fee.
   * `secretsManager`: two Secrets Manager secrets the stateful stack creates with a placeholder, as stacks did before
   * (USD 0.40 a month each; for publishers whose policies want Secrets Manager's resource policies or auditing).
   */
  readonly secretStore: SecretStore;
}

/** The custom domain of the API and where its certificate comes from (docs/deploy.md, "Custom domain"). */
export interface CustomDomainSettings {
  /** `domainName`: the host name the public uses, e.g. `marketplace.contoso.com`. */
  readonly domainName: string;
  /**
   * `certificateArn`: an ACM certificate in us-east-1 (where CloudFront reads certificates) covering `domainName`.
   * Without it the firewall stack requests one, validated through the hosted zone.
   */
  readonly certificateArn?: string;
  /**
   * `hostedZoneId` and `hostedZoneName`: the Route 53 public hosted zone of the domain. Given, the stacks create the
   * alias records (and the certificate when `certificateArn` is not set); not given, the DNS record is yours to make.
   * Both are needed because a zone looked up by name would make `cdk synth` call AWS.
   */
  readonly hostedZone?: { readonly id: string; readonly name: string };
  /**
   * `originGuard` (default `enforce`): whether the functions refuse requests that did not come through CloudFront.
   * `report` serves them and logs each one: for adding the domain to a live offer, whose Partner Center URLs still
   * point at the execute-api host until the offer is re-published with the domain's (docs/deploy.md).
   */
  readonly originGuard: OriginGuardMode;
}

export const DEFAULT_RESERVE_CONCURRENCY = true;

/** The region CloudFront reads certificates and web ACLs from; the firewall stack is deployed there. */
export const EDGE_REGION = 'us-east-1';

export const FUNCTION_ALARMS = ['account', 'perFunction', 'none'] as const;

export const SECRET_STORES = ['parameterStore', 'secretsManager'] as const;
export type SecretStore = (typeof SECRET_STORES)[number];
export const DEFAULT_SECRET_STORE: SecretStore = 'parameterStore';
export type FunctionAlarms = (typeof FUNCTION_ALARMS)[number];

/** Alarm on SMS spend from USD 20 a month: about 250 alert SMS to Japan, or 2,500 in the US. */
export const DEFAULT_SMS_SPEND_ALARM_USD = 20;

export const DEFAULT_CATALOG_PATH = 'infra/catalog/catalog.yaml';

/**
 * Thirteen weekly copies: a quarter of history beyond point-in-time recovery's 35 days, for damage found late (a
 * quarter's invoices disputed, a bad deploy noticed at month end). Each copy of a DynamoDB table is a full copy
 * billed as warm backup storage (USD 0.10 per GB-month), so the default costs about USD 1.30 a month per GB of table,
 * a few cents for a young deployment (docs/restore.md).
 */
export const DEFAULT_BACKUP_RETENTION_DAYS = 91;

/**
 * The stateless stack's output saying whether its webhook accepts test webhooks (`on` / `off`), which
 * `npm run smoke -- --stack` reads to know whether a signed test webhook must be applied or refused.
 */
export const SMOKE_TEST_WEBHOOKS_OUTPUT = 'SmokeTestWebhooks';

/** DynamoDB table names: 3 to 255 letters, digits, `_`, `-` and `.`. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** @throws DeploymentSettingsError naming the context key and what it must be. */
export function readDeploymentSettings(node: Node): DeploymentSettings {
  const context = new ContextReader(node);
  return {
    stackPrefix: context.string('stackPrefix') ?? 'Marketplace',
    catalogPath: context.string('catalog') ?? DEFAULT_CATALOG_PATH,
    reserveConcurrency: context.boolean('reserveConcurrency') ?? DEFAULT_RESERVE_CONCURRENCY,
    customDomain: readCustomDomain(context),
    // Up to ten years: AWS Backup itself allows longer, but past that a compliance archive is the better tool.
    backupRetentionDays: context.integer('backupRetentionDays', { min: 0, max: 3650 }) ?? DEFAULT_BACKUP_RETENTION_DAYS,
    tableName: tableNameOf(context.string('tableName')),
    onCallEmail: context.email('onCallEmail'),
    functionAlarms: context.oneOf('functionAlarms', FUNCTION_ALARMS) ?? 'account',
    dashboard: context.boolean('dashboard') ?? true,
    smokeTestWebhooks: context.boolean('smokeTestWebhooks') ?? false,
    smsCountries: smsCountriesOf(context.list('smsCountries')),
    ...alertChannelSettings(context),
    smsSpendAlarmUsd: context.integer('smsSpendAlarmUsd', { min: 1, max: 1_000_000 }) ?? DEFAULT_SMS_SPEND_ALARM_USD,
    secretStore: context.oneOf('secretStore', SECRET_STORES) ?? DEFAULT_SECRET_STORE,
  };
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** @throws DeploymentSettingsError when the domain settings are incomplete or do not fit together. */
function readCustomDomain(context: ContextReader): CustomDomainSettings | undefined {
  const domainName = context.string('domainName')?.toLowerCase();
  const certificateArn = context.string('certificateArn');
  const zoneId = context.string('hostedZoneId');
  const zoneName = context.string('hostedZoneName')?.toLowerCase().replace(/\.$/, '');
  const originGuard = context.oneOf('originGuard', ORIGIN_GUARD_MODES);
  if (domainName === undefined) {
    const stray = [
      certificateArn && 'certificateArn',
      zoneId && 'hostedZoneId',
      zoneName && 'hostedZoneName',
      originGuard && 'originGuard',
    ];
    const given = stray.filter((key): key is string => typeof key === 'string');
    if (given.length > 0) {
      throw new DeploymentSettingsError(`Context ${given.join(', ')} given without "domainName": set the domain too`);
    }
    return undefined;
  }
  if (!HOST_NAME.test(domainName)) {
    throw new DeploymentSettingsError(
      `Context "domainName" must be a host name such as marketplace.contoso.com, got ${JSON.stringify(domainName)}`,
    );
  }
  if ((zoneId === undefined) !== (zoneName === undefined)) {
    throw new DeploymentSettingsError(
      'Context "hostedZoneId" and "hostedZoneName" go together: give both (the zone is not looked up, so synth stays offline)',
    );
  }
  if (zoneName !== undefined && domainName !== zoneName && !domainName.endsWith(`.${zoneName}`)) {
    throw new DeploymentSettingsError(`Context "domainName" ${domainName} is not in the hosted zone ${zoneName}`);
  }
  if (certificateArn !== undefined && !certificateArn.startsWith(`arn:aws:acm:${EDGE_REGION}:`)) {
    throw new DeploymentSettingsError(
      `Context "certificateArn" must be an ACM certificate in ${EDGE_REGION} (CloudFront reads certificates only there), got ${certificateArn}`,
    );
  }
  if (certificateArn === undefined && zoneId === undefined) {
    throw new DeploymentSettingsError(
      'Context "domainName" needs a certificate: give "certificateArn" (ACM, us-east-1) or "hostedZoneId" and "hostedZoneName" to have one requested and validated',
    );
  }
  return {
    domainName,
    certificateArn,
    hostedZone: zoneId !== undefined && zoneName !== undefined ? { id: zoneId, name: zoneName } : undefined,
    originGuard: originGuard ?? 'enforce',
  };
}

function tableNameOf(name: string | undefined): string | undefined {
  if (name !== undefined && !TABLE_NAME.test(name)) {
    throw new DeploymentSettingsError(
      `Context "tableName" must be a DynamoDB table name (3 to 255 letters, digits, "_", "-" or "."), got "${name}"`,
    );
  }
  return name;
}

function smsCountriesOf(list: readonly string[] | undefined): readonly SmsCountry[] {
  if (list === undefined) return DEFAULT_SMS_COUNTRIES;
  try {
    return parseSmsCountries(list.join(','));
  } catch (error) {
    throw new DeploymentSettingsError(`Context "smsCountries": ${(error as Error).message}`);
  }
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

  /** One of the `allowed` strings. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value !== undefined && !allowed.includes(value as T)) {
      throw new DeploymentSettingsError(
        `Context "${key}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
      );
    }
    return value as T | undefined;
  }

  /** An e-mail address (one `@`, a dot in the domain, no spaces). */
  email(key: string): string | undefined {
    const value = this.string(key);
    if (value !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      throw new DeploymentSettingsError(`Context "${key}" must be an e-mail address, got ${JSON.stringify(value)}`);
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
