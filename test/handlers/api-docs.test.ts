import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { OPENAPI_FILE } from '#infra/openapi/document.ts';
import { type ApiGatewayHandler, projectApi } from '#test/helpers/api-functions.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';

type Handler = ApiGatewayHandler;

describe('the API description served by the Api function (DynamoDB Local and fauxqs)', () => {
  let handler: Handler;
  const call = async (method: string, path: string) =>
    (await handler(httpEvent(method, path), aLambdaContext('Api'))) as APIGatewayProxyStructuredResultV2;
  const committed = () => JSON.parse(readFileSync(resolve(REPO_ROOT, OPENAPI_FILE), 'utf8'));

  beforeAll(async () => {
    await prepareFunctionEnvironment();
    handler = await projectApi();
  });

  it('serves the committed OpenAPI document at GET /openapi.json without an API key', async () => {
    const response = await call('GET', '/openapi.json');

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toContain('application/json');
    expect(bodyOf(response)).toEqual(committed());
  });

  it('serves a self-contained reference page at GET /docs/api: every operation, no script, nothing loaded from elsewhere', async () => {
    const response = await call('GET', '/docs/api');
    const page = response.body ?? '';
    const csp = response.headers?.['content-security-policy'] ?? '';

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toContain('text/html');
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-inline|https?:/);
    expect(page).not.toMatch(/<script|<link|src=/i);
    for (const path of Object.keys(committed().paths)) expect(page).toContain(`<code>${path}</code>`);
    expect(page).toContain('idempotency-key');
  });

  it('still asks for a key everywhere else, including the same names under /v1/', async () => {
    expect((await call('GET', '/v1/catalog')).statusCode).toBe(401);
    expect((await call('GET', '/v1/openapi.json')).statusCode).toBe(401);
    expect((await call('GET', '/health')).statusCode).toBe(401);
  });
});
