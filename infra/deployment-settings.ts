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
}

export const DEFAULT_CATALOG_PATH = 'infra/catalog/catalog.yaml';

/**
 * Thirteen weekly copies: a quarter of history beyond point-in-time recovery's 35 days, for damage found late (a
 * quarter's invoices disputed, a bad deploy noticed at month end). Each copy of a DynamoDB table is a full copy
 * billed as warm backup storage (USD 0.10 per GB-month), so the default costs about USD 1.30 a month per GB of table,
 * a few cents for a young deployment (docs/restore.md).
 */
export const DEFAULT_BACKUP_RETENTION_DAYS = 91;

/** DynamoDB table names: 3 to 255 letters, digits, `_`, `-` and `.`. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** @throws DeploymentSettingsError naming the context key and what it must be. */
export function readDeploymentSettings(node: Node): DeploymentSettings {
  const context = new ContextReader(node);
  return {
    stackPrefix: context.string('stackPrefix') ?? 'Marketplace',
    catalogPath: context.string('catalog') ?? DEFAULT_CATALOG_PATH,
    // Up to ten years: AWS Backup itself allows longer, but past that a compliance archive is the better tool.
    backupRetentionDays: context.integer('backupRetentionDays', { min: 0, max: 3650 }) ?? DEFAULT_BACKUP_RETENTION_DAYS,
    tableName: tableNameOf(context.string('tableName')),
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
