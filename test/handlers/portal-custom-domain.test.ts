import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '#shared/env-names.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { aSession } from '#test/helpers/session.ts';

type Handler = typeof import('#functions/portal/handler.ts')['handler'];

/** What the stateless stack sets with `-c domainName=marketplace.contoso.test` (infra/stacks/stateless-stack.ts). */
const PUBLIC_ORIGIN = 'https://marketplace.contoso.test';
/**
 * Behind CloudFront (origin request policy all-viewer-except-host), API Gateway sees its own host in `Host`, while the
 * browser's `Origin` is the custom domain.
 */
const behindCloudFront = { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https' };

describe('the Portal function at a custom domain (PUBLIC_BASE_URL)', () => {
  let system: FunctionsWithEmulator;
  let handler: Handler;

  beforeAll(async () => {
    system = await startFunctionsWithEmulator(undefined, { [ENV.publicBaseUrl]: PUBLIC_ORIGIN });
    ({ handler } = await import('#functions/portal/handler.ts'));
  });
  afterAll(async () => {
    delete process.env[ENV.publicBaseUrl];
    await system?.stop();
  });

  it('sends Microsoft the redirect URI at the custom domain, not the execute-api host it was reached at', async () => {
    const start = (await handler(
      httpEvent('GET', '/auth/sign-in', { headers: behindCloudFront }),
      aLambdaContext('Portal'),
    )) as APIGatewayProxyStructuredResultV2;

    expect(start.statusCode).toBe(302);
    const authorize = new URL(String(start.headers?.location));
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC_ORIGIN}/auth/callback`);
  });

  it('accepts a sign-out from the custom domain and refuses one whose Origin is the execute-api host', async () => {
    const signOut = async (origin: string) => {
      const session = await aSession({ tenantId: 't-1', objectId: 'o-1' });
      const event = httpEvent('POST', '/auth/sign-out', {
        headers: {
          ...behindCloudFront,
          origin,
          cookie: session.cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
      });
      event.body = new URLSearchParams({ csrfToken: session.csrfToken }).toString();
      return (await handler(event, aLambdaContext('Portal'))) as APIGatewayProxyStructuredResultV2;
    };

    const fromDomain = await signOut(PUBLIC_ORIGIN);
    const fromApiHost = await signOut(`https://${behindCloudFront.host}`);

    expect(fromDomain.statusCode).toBe(200);
    expect(fromApiHost.statusCode).toBe(403);
    expect(fromApiHost.body).toContain(`is not ${PUBLIC_ORIGIN}`);
  });
});
