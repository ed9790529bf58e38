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
   * `reserveConcurrency` (default `true`): deploy the reserved concurrency of the functions that must answer during a
   * backlog (webhook, landing page, sign-in: `reservedConcurrency` in infra/functions.ts). Lambda refuses a
   * reservation that leaves fewer than 100 copies unreserved, so an account whose concurrency limit is below the
   * total plus 100 (a new account often has 10) deploys with `false` until its quota is raised. On by default because
   * an account fit for production has the standard 1,000, and a backlog starving Microsoft's webhook is the failure
   * this prevents; a low-limit account fails its first deploy with Lambda's message, which docs/deploy.md explains.
   */
  readonly reserveConcurrency: boolean;
}

export const DEFAULT_RESERVE_CONCURRENCY = true;

export const DEFAULT_CATALOG_PATH = 'infra/catalog/catalog.yaml';

/** @throws DeploymentSettingsError naming the context key and what it must be. */
export function readDeploymentSettings(node: Node): DeploymentSettings {
  const context = new ContextReader(node);
  return {
    stackPrefix: context.string('stackPrefix') ?? 'Marketplace',
    catalogPath: context.string('catalog') ?? DEFAULT_CATALOG_PATH,
    reserveConcurrency: context.boolean('reserveConcurrency') ?? DEFAULT_RESERVE_CONCURRENCY,
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
