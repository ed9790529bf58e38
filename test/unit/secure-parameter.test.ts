import { GetParameterError, ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { describe, expect, it } from 'vitest';
import {
  MissingParameterError,
  PARAMETER_CACHE_SECONDS,
  type ParameterProvider,
  secureParameterReader,
} from '#shared/adapters/parameters/secure-parameter.ts';

const NAME = '/Marketplace/entra/client-secret';

/**
 * A stand-in for Powertools' `SSMProvider` at its `get` boundary, answering as it does: the value, or the SDK's
 * `ParameterNotFound` wrapped in a `GetParameterError` (BaseProvider.get). No SSM stand-in runs locally (fauxqs has
 * none), so the reader is tested here; on a deployed stack `GET /health` (run by `npm run smoke`) reads the real one.
 */
function providerWith(values: Record<string, string>) {
  const calls: { name: string; options: unknown }[] = [];
  const provider: ParameterProvider = {
    async get(name, options) {
      calls.push({ name, options });
      const value = values[name];
      if (value !== undefined) return value;
      const notFound = Object.assign(new Error(`Parameter ${name} not found.`), { name: 'ParameterNotFound' });
      throw new GetParameterError(notFound.message, { cause: notFound });
    },
  };
  return { provider, calls };
}

describe('reading a SecureString parameter', () => {
  it('asks Powertools for the decrypted value with a 5-minute cache', async () => {
    const { provider, calls } = providerWith({ [NAME]: '{"clientSecret":"abc8Q~x","expiresOn":"2027-06-01"}' });

    const value = await secureParameterReader(provider)(NAME);

    expect(value).toBe('{"clientSecret":"abc8Q~x","expiresOn":"2027-06-01"}');
    expect(calls).toEqual([{ name: NAME, options: { decrypt: true, maxAge: PARAMETER_CACHE_SECONDS } }]);
    expect(PARAMETER_CACHE_SECONDS).toBe(300);
  });

  it('turns a parameter that does not exist into MissingParameterError naming the command that creates it', async () => {
    const { provider } = providerWith({});

    const failure = await secureParameterReader(provider)(NAME).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MissingParameterError);
    expect((failure as MissingParameterError).parameterName).toBe(NAME);
    expect((failure as Error).message).toContain(`aws ssm put-parameter --name ${NAME} --type SecureString`);
  });

  it("also treats Powertools' own ParameterNotFoundError and an empty answer as missing", async () => {
    const throwing: ParameterProvider = {
      get: async () => {
        throw new ParameterNotFoundError(`Parameter ${NAME} not found in the store`);
      },
    };
    const empty: ParameterProvider = { get: async () => undefined };

    await expect(secureParameterReader(throwing)(NAME)).rejects.toBeInstanceOf(MissingParameterError);
    await expect(secureParameterReader(empty)(NAME)).rejects.toBeInstanceOf(MissingParameterError);
  });

  it('lets any other failure through as it is (no permission is not "not set")', async () => {
    const denied = Object.assign(new Error('not authorized to perform: ssm:GetParameter'), {
      name: 'AccessDeniedException',
    });
    const provider: ParameterProvider = {
      get: async () => {
        throw new GetParameterError(denied.message, { cause: denied });
      },
    };

    const failure = await secureParameterReader(provider)(NAME).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(GetParameterError);
    expect(failure).not.toBeInstanceOf(MissingParameterError);
  });

  it('refuses a blank value', async () => {
    const { provider } = providerWith({ [NAME]: '   ' });

    await expect(secureParameterReader(provider)(NAME)).rejects.toThrow(/has no string value/);
  });
});
