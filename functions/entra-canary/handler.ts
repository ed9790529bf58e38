import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { scheduledEventSchema } from '#shared/adapters/lambda/scheduled-event.ts';
import { logger, metrics } from '#shared/observability.ts';
import { type EntraCanaryResult, runEntraCanary } from '#shared/use-cases/operations/run-entra-canary.ts';
import { loadEntraCanaryConfig } from './config.ts';
import { buildEntraCanaryDependencies } from './dependencies.ts';

const deps = buildEntraCanaryDependencies(loadEntraCanaryConfig());

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
 * Hourly: token, landing page and credential state (shared/use-cases/operations/run-entra-canary.ts). A failure is
 * logged and thrown: the function's Errors metric is what `EntraCanaryFailedAlarm` watches, so no custom metric is
 * paid for every hour. Once a day, `EntraCredentialDaysLeft` for the expiry alarm.
 * @throws EntraCanaryFailedError when any check failed.
 */
export async function runCanary(event: unknown): Promise<EntraCanaryResult> {
  scheduledEventSchema.parse(event);
  const result = await runEntraCanary(deps);
  if (result.daysLeftToReport !== undefined) {
    metrics.addMetric('EntraCredentialDaysLeft', MetricUnit.Count, result.daysLeftToReport);
  }
  if (!result.ok) {
    logger.error('Entra canary failed', { ...result });
    throw new EntraCanaryFailedError(result);
  }
  if (result.credential.state !== 'ready') logger.warn('Entra credential needs attention', { ...result });
  else logger.info('Entra canary passed', { ...result });
  return result;
}

export const handler = middy<unknown, EntraCanaryResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(runCanary);
