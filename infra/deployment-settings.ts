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
}

export const DEFAULT_CATALOG_PATH = 'infra/catalog/catalog.yaml';

/** @throws DeploymentSettingsError naming the context key and what it must be. */
export function readDeploymentSettings(node: Node): DeploymentSettings {
  const context = new ContextReader(node);
  return {
    stackPrefix: context.string('stackPrefix') ?? 'Marketplace',
    catalogPath: context.string('catalog') ?? DEFAULT_CATALOG_PATH,
    smsCountries: smsCountriesOf(context.list('smsCountries')),
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
