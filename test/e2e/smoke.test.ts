import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#infra/local/local-system.ts';
import { runSmokeChecks } from '#infra/tools/smoke-checks.ts';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { TEST_SUBSCRIPTION_PREFIX } from '#shared/domain/test-subscriptions.ts';
import { ENV } from '#shared/env-names.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

const run = promisify(execFile);

/** `npm run smoke -- <args>` as an operator runs it, in its own process: its exit code and output. */
async function smoke(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'infra/tools/smoke.ts'), ...args],
      { cwd: REPO_ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run smoke against the local system', () => {
  let local: TestLocalSystem;

  beforeAll(async () => {
    local = await startTestLocalSystem('smoke');
  }, 60_000);
  afterAll(async () => {
    await local?.stop();
  });

  it('passes every check, the usage round trip on a subscription bought in the emulator included', async () => {
    const { code, stdout } = await smoke(['--local'], { LOCAL_DIR: local.workDir });

    expect(stdout).toContain(`Checking the local system: ${local.system.apiUrl}`);
    const checks = ['health', 'api key', 'landing page', 'webhook', 'test webhook', 'usage ingest', 'usage round trip'];
    for (const check of checks) {
      expect(stdout).toMatch(new RegExp(`^ok {4}${check} `, 'm'));
    }
    expect(stdout).toMatch(/health +table ok, usageQueue ok/);
    expect(stdout).toMatch(/webhook +401 unsigned, 401 with a forged token/);
    expect(stdout).toMatch(/test webhook +signed ChangeQuantity and Unsubscribe applied to a test subscription/);
    expect(stdout).toContain('Smoke check passed.');
    expect(code).toBe(0);
    // The test subscription, its key and its audit trail are gone: nothing of the check stays in the table.
    const { Items = [] } = await createDocumentClient().send(
      new ScanCommand({
        TableName: local.system.resources[ENV.tableName],
        FilterExpression: 'begins_with(pk, :test)',
        ExpressionAttributeValues: { ':test': `SUB#${TEST_SUBSCRIPTION_PREFIX}` },
      }),
    );
    expect(Items).toEqual([]);
  }, 120_000);

  it("stamps usage in the local clock's time after npm run clock moved it ahead", async () => {
    await local.system.clock.move(new Date(local.system.clock.nowMs() + 2 * 3_600_000));

    const { code, stdout } = await smoke(['--local'], { LOCAL_DIR: local.workDir });

    expect(stdout).toMatch(/^ok {4}usage round trip +1 api-calls posted and read back \(now 1\)/m);
    // The test tokens are stamped in the system's time too: the webhook checks their age on its own clock.
    expect(stdout).toMatch(/^ok {4}test webhook /m);
    expect(code).toBe(0);
  }, 120_000);

  it('fails with exit code 1 and says what to check when the API cannot be reached', async () => {
    const { code, stdout } = await smoke(['--url', 'http://127.0.0.1:9', '--api-key', 'mmk_none']);

    expect(stdout).toMatch(/^FAIL {2}health +cannot reach http:\/\/127\.0\.0\.1:9\b.*: is the URL right/m);
    expect(stdout).toContain('Smoke check FAILED: 5 check(s).');
    expect(stdout).toMatch(/^skip {2}usage round trip/m);
    expect(stdout).toMatch(/^skip {2}test webhook +needs the stack's table/m);
    expect(code).toBe(1);
  }, 60_000);

  it('refuses to start without a target, with the usage line', async () => {
    const { code, stderr } = await smoke([]);

    expect(stderr).toContain('Usage: npm run smoke -- --stack <prefix> | --local | --url <api url>');
    expect(code).toBe(2);
  }, 60_000);
});

describe('the smoke checks against a careless API', () => {
  let server: Server;
  let apiUrl: string;

  beforeAll(async () => {
    // Answers 200 to everything: no key required, webhooks accepted unsigned, usage "accepted".
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'ok', accepted: 1, results: [{ status: 'accepted' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fails the key, webhook and usage checks with what to do', async () => {
    const results = await runSmokeChecks({ apiUrl, apiKey: 'mmk_any' });
    const byName = Object.fromEntries(results.map((result) => [result.name, result]));

    expect(byName['api key']).toMatchObject({ status: 'fail', detail: expect.stringContaining('do not go live') });
    expect(byName.webhook).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('answered 200 to an unsigned call, expected 401'),
    });
    expect(byName['usage ingest']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('expected 202 with unknownSubscription'),
    });
  });
});
