import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSystem } from '#infra/local/local-system.ts';
import { formatReport, prepareFuzzContext, runFuzz } from '#test/fuzz/run-fuzz.ts';
import { fuzzTargets, targetName } from '#test/fuzz/targets.ts';
import { startTestLocalSystem, type TestLocalSystem } from '#test/helpers/test-local-system.ts';

/**
 * A slice of the fuzz suite (`npm run fuzz` sends 100,000): 2,000 generated and mutated requests over every route of
 * the local system, with a fixed seed so a failure here is reproducible. No 5xx, no hang, no change in the table
 * from a group of refused requests, every stored budget and credit link reads back, and every route answered
 * success at least once (a route the fuzzer no longer gets through is a route no longer fuzzed).
 */
describe('fuzzing every route of the local system (a 2,000-request slice)', () => {
  let local: TestLocalSystem | undefined;
  let system: LocalSystem;

  beforeAll(async () => {
    local = await startTestLocalSystem('fuzz');
    system = local.system;
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('finds every route of infra/functions.ts and the API, /landing and /webhook included', async () => {
    const names = (await fuzzTargets()).map(targetName);

    expect(names).toEqual(
      expect.arrayContaining([
        'POST /webhook',
        'GET /landing',
        'POST /landing',
        'POST /v1/usage',
        'PUT /v1/subscriptions/{subscriptionId}/budget',
        'PUT /v1/partners/{partnerId}/customers/{subscriptionId}',
      ]),
    );
    expect(names.length).toBeGreaterThan(25);
  });

  it('answers 2,000 generated requests without a 5xx or a hang, and refused requests change nothing', async () => {
    const context = await prepareFuzzContext(system);

    const report = await runFuzz(system, context, { total: 2_000, seed: 20_261_207, batchSize: 250 });

    expect(report.failures.map((f) => `${f.kind} ${f.route}: ${f.detail}`)).toEqual([]);
    const routes = Object.values(report.routes);
    expect(routes.every((counts) => counts.requests > 0)).toBe(true);
    // The checks must have bitten: bodies reached past validation and the domain's rules on every route (success:
    // 2xx, or the redirects of the sign-in steps), purchase-block release and contact confirmations included, and
    // refused requests were compared against the table's changes.
    expect(report.unsucceeded).toEqual([]);
    expect(routes.reduce((sum, counts) => sum + counts['2xx'], 0)).toBeGreaterThan(600);
    expect(report.rejectedRequestsCompared).toBeGreaterThan(300);
    if (process.env.FUZZ_PRINT) console.log(formatReport(report));
  }, 240_000);
});
