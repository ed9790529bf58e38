import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { jsonTextResponse } from '#shared/http/errors.ts';
import { type AuthContext, apiKeyAuth, httpErrors } from '#shared/http/middleware.ts';
import { originGuard } from '#shared/http/origin-guard.ts';
import { parseJsonBody, parseWith } from '#shared/http/request.ts';
import { addCount, logger, metrics } from '#shared/observability.ts';
import { ingestUsage } from '#shared/use-cases/metering/ingest-usage.ts';
import { usageAnswer } from './answer.ts';
import { loadUsageIngestConfig } from './config.ts';
import { buildUsageIngestDependencies } from './dependencies.ts';
import { idempotencyKeySchema, MAX_USAGE_BODY_BYTES, usageRequestSchema } from './schema.ts';

const deps = buildUsageIngestDependencies(loadUsageIngestConfig());

/** `POST /v1/usage` (publisher key): validates usage events, answers per event, queues the accepted ones. */
export async function ingestUsageRequest(event: APIGatewayProxyEventV2, context: Context) {
  const { events } = parseJsonBody(event, usageRequestSchema, { maxBytes: MAX_USAGE_BODY_BYTES });
  const idempotencyKey = parseWith(idempotencyKeySchema, event.headers?.['idempotency-key'], 'headers.idempotency-key');
  const { markers, ...result } = await ingestUsage(deps, (context as AuthContext).principal, {
    events,
    idempotencyKey,
  });
  // Zero counts are not published: a metric that is always zero (rejections, usually) costs as much as a real one.
  addCount('UsageEventsAccepted', result.accepted);
  addCount('UsageEventsRejected', result.rejected);
  addCount('UsageEventsDuplicate', result.duplicate);
  logger.info('Usage ingested', {
    accepted: result.accepted,
    rejected: result.rejected,
    duplicate: result.duplicate,
    markers,
    idempotencyKey,
  });
  return jsonTextResponse(202, usageAnswer(result).text);
}

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  // Behind a custom domain, only requests that came through CloudFront (and its firewall) are served.
  .use(originGuard())
  .use(logMetrics(metrics))
  .use(apiKeyAuth(deps))
  // After authentication: a remembered answer is only ever given to an authenticated publisher.
  .use(deps.idempotency)
  .use(httpErrors())
  .handler(ingestUsageRequest);
