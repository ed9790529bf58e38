import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { matchHttpRoute } from '#infra/functions.ts';
import { type HttpLambdaHandler, toHttpApiEvent, writeHttpApiResult } from '#infra/local/lambda-http-adapter.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { CANARY_STREAK_KEY, scheduleRunKey } from '#shared/adapters/dynamodb/dynamo-schedule-runs.ts';
import { ENV } from '#shared/env-names.ts';
import type { EntraCanaryResult } from '#shared/use-cases/operations/run-entra-canary.ts';
import { type FunctionsWithEmulator, startFunctionsWithEmulator } from '#test/helpers/emulator-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { sampleEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type CanaryModule = typeof import('#functions/entra-canary/handler.ts');

/**
 * The canary function against the emulator's fake Entra and the real landing function behind a local HTTP server
 * (as API Gateway would serve it), on DynamoDB Local and fauxqs.
 */
describe('the Entra canary function', () => {
  let system: FunctionsWithEmulator;
  let server: Server;
  /** While set, the landing page's server answers this status instead of running the landing function. */
  let landingFailsWith: number | undefined;

  const importCanary = async (): Promise<CanaryModule> => {
    vi.resetModules();
    return import('#functions/entra-canary/handler.ts');
  };
  const run = (canary: CanaryModule, event: unknown = sampleEvent('scheduler/entra-canary.json')) =>
    asDeclaredFunction('EntraCanary', canary.handler)(
      event,
      aLambdaContext('EntraCanary'),
    ) as Promise<EntraCanaryResult>;
  const { documentClient } = localClients();
  const tableName = () => process.env[MAIN_TABLE.envVar] ?? '';
  const stored = async (key: Record<string, string>) =>
    (await documentClient.send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }))).Item;

  beforeAll(async () => {
    system = await startFunctionsWithEmulator();
    const { handler: landing } = await import('#functions/landing/handler.ts');
    server = createServer(async (request, response) => {
      if (landingFailsWith !== undefined) {
        writeHttpApiResult(response, { statusCode: landingFailsWith, body: '' });
        return;
      }
      const url = new URL(request.url ?? '/', 'http://localhost');
      const match = matchHttpRoute(request.method ?? 'GET', url.pathname);
      const event = await toHttpApiEvent(request, match?.routeKey ?? '');
      writeHttpApiResult(response, await (landing as HttpLambdaHandler)(event, aLambdaContext('Landing')));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env[ENV.landingPageUrl] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/landing`;
  });
  // Each test starts with a canary that has not failed, nor run, before.
  beforeEach(async () => {
    for (const key of [CANARY_STREAK_KEY, scheduleRunKey('EntraCanary')]) {
      await documentClient.send(new DeleteCommand({ TableName: tableName(), Key: key }));
    }
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await system?.stop();
  });

  it('passes with the emulator’s secret: token issued, landing page asking a signed-out buyer to sign in', async () => {
    const result = await run(await importCanary());

    expect(result).toMatchObject({ ok: true, token: { ok: true }, landing: { ok: true, status: 303 } });
    expect(result.credential).toMatchObject({ ok: true, state: 'ready', kind: 'secret' });
    expect(result.credential.daysLeft).toBeGreaterThan(700);
  });

  it('notes the run of its schedule when the schedule names itself, and not when invoked by hand', async () => {
    const canary = await importCanary();

    await run(canary, {});
    const byHand = await stored(scheduleRunKey('EntraCanary'));
    await run(canary, { schedule: 'EntraCanary', time: '2026-12-07T10:00:00Z' });
    const scheduled = await stored(scheduleRunKey('EntraCanary'));

    expect(byHand).toBeUndefined();
    expect(scheduled).toMatchObject({ schedule: 'EntraCanary', lastRunAt: expect.any(String) });
  });

  it('lets one failed attempt pass, and fails the invocation on the second in a row, naming the landing page', async () => {
    const canary = await importCanary();
    landingFailsWith = 502;
    try {
      const first = await run(canary);
      await expect(run(canary)).rejects.toThrow(/landing page: HTTP 502/);
      expect(first).toMatchObject({ ok: false, failuresInARow: 1, confirmedFailure: false });
      expect(await stored(CANARY_STREAK_KEY)).toMatchObject({ failuresInARow: 2 });
    } finally {
      landingFailsWith = undefined;
    }
  });

  it('forgets a failed attempt once an attempt passes', async () => {
    const canary = await importCanary();
    landingFailsWith = 502;
    const failed = await run(canary).finally(() => {
      landingFailsWith = undefined;
    });

    const passed = await run(canary);
    landingFailsWith = 502;
    const failedAgain = await run(canary).finally(() => {
      landingFailsWith = undefined;
    });

    expect([failed, passed, failedAgain].map((result) => result.failuresInARow)).toEqual([1, 0, 1]);
    expect(failedAgain.confirmedFailure).toBe(false);
  });

  it('fails the invocation while the secret is the stack’s placeholder (second attempt in a row), saying so', async () => {
    const real = process.env[ENV.entraClientSecret];
    process.env[ENV.entraClientSecret] = JSON.stringify({
      placeholder: 'Not set: put the Entra app client secret here',
      clientSecret: 'Xq3v9Lr2Tn8Wm4Zp7Ks1Hd6Jb5Gc0Fa2Ye8Uo3Ri',
    });
    try {
      const canary = await importCanary();

      await run(canary);
      const failure = await run(canary).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(canary.EntraCanaryFailedError);
      const { result } = failure as InstanceType<CanaryModule['EntraCanaryFailedError']>;
      expect(result.token).toMatchObject({ ok: false, error: expect.stringContaining('placeholder') });
      expect(result.credential).toMatchObject({ ok: false, state: 'placeholder' });
      expect(result.credential.message).toContain(`Set ${ENV.entraClientSecret}`);
      expect(result.landing).toMatchObject({ ok: true });
    } finally {
      process.env[ENV.entraClientSecret] = real;
    }
  });

  it('fails the invocation when Entra refuses the secret twice in a row', async () => {
    const real = process.env[ENV.entraClientSecret];
    process.env[ENV.entraClientSecret] = JSON.stringify({ clientSecret: 'revoked-secret', expiresOn: '2030-01-01' });
    try {
      const canary = await importCanary();

      await expect(run(canary)).resolves.toMatchObject({ ok: false, token: { ok: false }, confirmedFailure: false });
      await expect(run(canary)).rejects.toThrow(
        /token: MarketplaceTokenError: Could not get a marketplace access token/,
      );
    } finally {
      process.env[ENV.entraClientSecret] = real;
    }
  });
});
