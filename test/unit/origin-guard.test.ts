import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, HTTP_ROUTES } from '#infra/functions.ts';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { ConfigError } from '#shared/config/load-settings.ts';
import { ENV } from '#shared/env-names.ts';
import { ORIGIN_VERIFY_HEADER, originGuard, originGuardMode, originVerifySecret } from '#shared/http/origin-guard.ts';
import type { OriginGuardMode } from '#shared/http/origin-guard-mode.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';

const SECRET = 'a'.repeat(48);

function guarded(secret: string | undefined, mode: OriginGuardMode = 'enforce') {
  let reached = 0;
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(originGuard(secret, mode))
    .handler(async () => {
      reached += 1;
      return { statusCode: 200, body: 'served' };
    });
  return { handler, reached: () => reached };
}

describe('originGuard', () => {
  it('does nothing without a custom domain (no secret): every request reaches the handler', async () => {
    const { handler, reached } = guarded(undefined);

    const response = await handler(httpEvent('GET', '/health'), aLambdaContext('Api'));

    expect(response).toMatchObject({ statusCode: 200 });
    expect(reached()).toBe(1);
  });

  it('stops a request without the header before the handler runs', async () => {
    const { handler, reached } = guarded(SECRET);

    const response = await handler(httpEvent('GET', '/health'), aLambdaContext('Api'));

    expect(response).toMatchObject({ statusCode: 403 });
    expect(reached()).toBe(0);
  });

  it('lets through the request carrying the value', async () => {
    const { handler, reached } = guarded(SECRET);

    const response = await handler(
      httpEvent('GET', '/health', { headers: { [ORIGIN_VERIFY_HEADER]: SECRET } }),
      aLambdaContext('Api'),
    );

    expect(response).toMatchObject({ statusCode: 200 });
    expect(reached()).toBe(1);
  });

  it('in report mode serves a request without the header (the offer still names the execute-api host)', async () => {
    const { handler, reached } = guarded(SECRET, 'report');

    const response = await handler(httpEvent('GET', '/health'), aLambdaContext('Api'));

    expect(response).toMatchObject({ statusCode: 200 });
    expect(reached()).toBe(1);
  });

  it('reads the mode from ORIGIN_GUARD_MODE, enforcing when unset, and names the variable for anything else', () => {
    expect(originGuardMode({})).toBe('enforce');
    expect(originGuardMode({ [ENV.originGuardMode]: 'report' })).toBe('report');
    expect(() => originGuardMode({ [ENV.originGuardMode]: 'off' })).toThrow(
      /ORIGIN_GUARD_MODE must be one of enforce, report/,
    );
  });

  it('reads the secret from ORIGIN_VERIFY_SECRET and refuses a short one', () => {
    expect(originVerifySecret({})).toBeUndefined();
    expect(originVerifySecret({ [ENV.originVerifySecret]: SECRET })).toBe(SECRET);
    expect(() => originVerifySecret({ [ENV.originVerifySecret]: 'short' })).toThrow(ConfigError);
  });
});

// A new function behind a route without the guard would be a path around the firewall again: its source is checked.
describe('every function behind an HTTP route', () => {
  const served = new Set(HTTP_ROUTES.map((route) => route.functionId));
  const entries = FUNCTIONS.filter((definition) => served.has(definition.id)).map(
    (definition) => [definition.id, definition.entry] as const,
  );

  it.each(entries)('%s attaches the origin guard right after the logger, before reading the request', (_id, entry) => {
    const source = readFileSync(join(REPO_ROOT, entry), 'utf8');

    expect(source).toMatch(
      /\.use\(injectLambdaContext\(logger, \{ resetKeys: true \}\)\)\s+(\/\/[^\n]*\n\s*)*\.use\(originGuard\(\)\)/,
    );
  });
});
