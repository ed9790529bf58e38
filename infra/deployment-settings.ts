import type { Node } from 'constructs';

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
}

export const FUNCTION_ALARMS = ['account', 'perFunction', 'none'] as const;
export type FunctionAlarms = (typeof FUNCTION_ALARMS)[number];

export const DEFAULT_CATALOG_PATH = 'infra/catalog/catalog.yaml';

/** @throws DeploymentSettingsError naming the context key and what it must be. */
export function readDeploymentSettings(node: Node): DeploymentSettings {
  const context = new ContextReader(node);
  return {
    stackPrefix: context.string('stackPrefix') ?? 'Marketplace',
    catalogPath: context.string('catalog') ?? DEFAULT_CATALOG_PATH,
    onCallEmail: context.email('onCallEmail'),
    functionAlarms: context.oneOf('functionAlarms', FUNCTION_ALARMS) ?? 'account',
    dashboard: context.boolean('dashboard') ?? true,
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
