/**
 * Secrets kept as SSM Parameter Store `SecureString` parameters (the stacks' default store for the two Entra client
 * secrets, docs/deploy.md): standard parameters have no monthly fee, unlike a Secrets Manager secret, and are
 * encrypted with the AWS managed `aws/ssm` key unless the publisher names another. CloudFormation cannot create a
 * `SecureString`, so the stack creates none: it names the parameter, grants reading exactly it, and the publisher
 * creates it with `aws ssm put-parameter --type SecureString`. Until then the parameter does not exist, which is this
 * store's "placeholder".
 */
import { GetParameterError, ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';

/** Seconds Powertools caches a value before reading it again: a new value is picked up within that time. */
export const PARAMETER_CACHE_SECONDS = 300;

/** What the reader needs of Powertools' `SSMProvider`; tests give a fake of this shape, nothing deeper. */
export interface ParameterProvider {
  get(name: string, options: { decrypt: true; maxAge: number }): Promise<unknown>;
}

/** The parameter has not been created yet (or was deleted): nothing has been put there. */
export class MissingParameterError extends Error {
  constructor(readonly parameterName: string) {
    super(
      `The SSM parameter ${parameterName} does not exist yet: create it with aws ssm put-parameter --name ` +
        `${parameterName} --type SecureString --overwrite --value '<value>' (docs/deploy.md)`,
    );
    this.name = new.target.name;
  }
}

/** Reads a `SecureString` parameter's decrypted value by name. */
export type ParameterReader = (parameterName: string) => Promise<string>;

let defaultProvider: SSMProvider | undefined;

/** One provider per process, so its cache serves every reader (created on first use: no SDK client before). */
function sharedProvider(): SSMProvider {
  defaultProvider ??= new SSMProvider();
  return defaultProvider;
}

/**
 * Powertools' SSM provider with decryption and a 5-minute cache: a warm Lambda calls `GetParameter` at most every 5
 * minutes per parameter (well within the standard throughput, which has no charge), and a new value is picked up
 * within that time. A missing parameter is never cached, so it is seen as soon as it is put.
 * @throws MissingParameterError when the parameter does not exist; Error when it is empty or may not be read.
 */
export function secureParameterReader(provider?: ParameterProvider): ParameterReader {
  return async (parameterName) => {
    const source = provider ?? sharedProvider();
    let value: unknown;
    try {
      value = await source.get(parameterName, { decrypt: true, maxAge: PARAMETER_CACHE_SECONDS });
    } catch (error) {
      if (isParameterNotFound(error)) throw new MissingParameterError(parameterName);
      throw error;
    }
    if (value === undefined || value === null) throw new MissingParameterError(parameterName);
    if (typeof value !== 'string' || value.trim() === '') {
      throw new Error(`The SSM parameter ${parameterName} has no string value`);
    }
    return value;
  };
}

/**
 * Powertools wraps the SDK's `ParameterNotFound` in a `GetParameterError` (its `cause`), or throws its own
 * `ParameterNotFoundError` when asked to on a missing value.
 */
function isParameterNotFound(error: unknown): boolean {
  if (error instanceof ParameterNotFoundError) return true;
  const cause = error instanceof GetParameterError ? error.cause : error;
  return cause instanceof Error && cause.name === 'ParameterNotFound';
}
