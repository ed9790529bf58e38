import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { scheduledRunRecording } from '#shared/adapters/compose/scheduled-run-recording.ts';
import { scheduledEventSchema } from '#shared/adapters/lambda/scheduled-event.ts';
import { logger, metrics } from '#shared/observability.ts';
import { type EntraCanaryResult, runEntraCanary } from '#shared/use-cases/operations/run-entra-canary.ts';
import { loadEntraCanaryConfig } from './config.ts';
import { buildEntraCanaryDependencies } from './dependencies.ts';
import { recordCanaryMetrics } from './metrics.ts';

const config = loadEntraCanaryConfig();
const deps = buildEntraCanaryDependencies(config);

/** The canary found something that would fail Microsoft's calls or a buyer; the invocation fails so Errors counts it. */
export class EntraCanaryFailedError extends Error {
  constructor(readonly result: EntraCanaryResult) {
    const failed = [
      result.token.ok ? '' : `token: ${result.token.error}`,
      result.landing.ok ? '' : `landing page: ${result.landing.error ?? `HTTP ${result.landing.status}`}`,
      result.credential.ok ? '' : `credential: ${result.credential.message}`,
    ].filter(Boolean);
    super(`Entra canary failed (${failed.join('; ')})`);
    this.name = new.target.name;
  }
}

/**
 * Hourly: token, landing page and credential state (shared/use-cases/operations/run-entra-canary.ts). A first failed
 * attempt is logged ("Entra canary failed once") and remembered, not thrown: one blink of Entra or the landing page
 * pages nobody, neither through `NeedsAttentionAlarm` nor through `FunctionErrorsAlarm`. A failure that follows a
 * failed attempt is counted (`EntraCanaryFailed`, which pages through `NeedsAttentionAlarm`), logged and thrown, so
 * that Lambda retries the run and a run failing every time lands in the dead-letter queue. Once a day, the days left
 * on the credential (`EntraCredentialExpiring` within 30 days). Metrics only when there is something to count: none in
 * a healthy hour.
 * @throws EntraCanaryFailedError when a check failed in this attempt and the one before.
 */
export async function runCanary(event: unknown): Promise<EntraCanaryResult> {
  scheduledEventSchema.parse(event);
  const result = await runEntraCanary(deps);
  recordCanaryMetrics(metrics, result);
  if (result.confirmedFailure) {
    logger.error('Entra canary failed', { ...result });
    throw new EntraCanaryFailedError(result);
  }
  if (!result.ok) {
    logger.warn('Entra canary failed once; the next run pages if it fails too', { ...result });
    return result;
  }
  if (result.credential.state !== 'ready') logger.warn('Entra credential needs attention', { ...result });
  else logger.info('Entra canary passed', { ...result });
  return result;
}

export const handler = middy<unknown, EntraCanaryResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(scheduledRunRecording(config.tableName))
  .handler(runCanary);
