import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '#shared/env-names.ts';
import { ORIGIN_VERIFY_HEADER } from '#shared/http/origin-guard.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';

/** What the stateless stack generates behind a custom domain (infra/constructs/origin-verify.ts): 48 characters. */
const SECRET = 'Zq7kP2mW9xR4tY6uI8oA1sD3fG5hJ0lKcVbNmQwErTyUiOpA';

type Result = APIGatewayProxyStructuredResultV2;

describe('HTTP functions behind a custom domain (ORIGIN_VERIFY_SECRET)', () => {
  let system: FunctionsWithEmulator;
  let api: typeof import('#functions/api/handler.ts')['handler'];
  let webhook: typeof import('#functions/fulfillment-webhook/handler.ts')['handler'];
  let landing: typeof import('#functions/landing/handler.ts')['handler'];

  beforeAll(async () => {
    system = await startFunctionsWithEmulator(undefined, { [ENV.originVerifySecret]: SECRET });
    ({ handler: api } = await import('#functions/api/handler.ts'));
    ({ handler: webhook } = await import('#functions/fulfillment-webhook/handler.ts'));
    ({ handler: landing } = await import('#functions/landing/handler.ts'));
  });
  afterAll(async () => {
    delete process.env[ENV.originVerifySecret];
    await system?.stop();
  });

  const call = async (
    handler: typeof api,
    method: string,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<Result> => (await handler(httpEvent(method, path, { headers }), aLambdaContext('Api'))) as Result;

  it('refuse with 403 a request that did not come through CloudFront: no header, or a wrong one', async () => {
    const wrong = { [ORIGIN_VERIFY_HEADER]: `${SECRET.slice(0, -1)}x` };
    const refused = [
      await call(api, 'GET', '/openapi.json'),
      await call(api, 'GET', '/openapi.json', wrong),
      await call(api, 'GET', '/openapi.json', { [ORIGIN_VERIFY_HEADER]: SECRET.slice(0, 10) }),
      await call(landing, 'GET', '/landing'),
      await call(webhook, 'POST', '/webhook'),
    ];

    for (const response of refused) {
      expect(response.statusCode).toBe(403);
      expect(JSON.parse(String(response.body)).error.message).toContain('served at its custom domain only');
    }
  });

  it('serve a request that carries the header exactly as CloudFront sends it', async () => {
    const through = { [ORIGIN_VERIFY_HEADER]: SECRET };

    expect((await call(api, 'GET', '/openapi.json', through)).statusCode).toBe(200);
    // Past the guard the function's own checks apply: an unsigned webhook is the authenticator's 401.
    expect((await call(webhook, 'POST', '/webhook', through)).statusCode).toBe(401);
    expect((await call(landing, 'GET', '/landing', through)).statusCode).not.toBe(403);
  });
});
