import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { UnauthenticatedError } from '#shared/domain/errors.ts';
import { jsonResponse } from '#shared/http/errors.ts';
import { httpErrors } from '#shared/http/middleware.ts';
import { originGuard } from '#shared/http/origin-guard.ts';
import { parseJsonBody } from '#shared/http/request.ts';
import { addCount, logger, metrics } from '#shared/observability.ts';
import { handleFulfillmentWebhook } from '#shared/use-cases/fulfillment/handle-fulfillment-webhook.ts';
import { MarketplaceCallRefusedError } from '#shared/use-cases/fulfillment/ports/webhook-authenticator.ts';
import { loadFulfillmentWebhookConfig } from './config.ts';
import { buildWebhookDependencies } from './dependencies.ts';
import { MAX_WEBHOOK_BYTES, webhookSchema } from './schema.ts';

const deps = await buildWebhookDependencies(loadFulfillmentWebhookConfig());

/**
 * The connection webhook (reference/marketplace-api.md §2): the bearer JWT is verified before the body is even read
 * (401 and nothing changes otherwise, DESIGN invariant 5); the notification is then confirmed with Get Operation,
 * applied idempotently and answered 200. A transient failure answers 500 so that Microsoft delivers it again.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  // Behind a custom domain, only requests that came through CloudFront (and its firewall) are served.
  .use(originGuard())
  .use(logMetrics(metrics))
  // 401 bodies say only "unauthorized" (the reason is logged); each refusal is counted, and a refused genuine call of
  // Microsoft's marketplace (a misconfigured tenant or app id) needs an operator (docs/operate.md).
  .use(httpErrors({ opaqueUnauthorized: true }))
  .use(countRefusedCalls())
  .handler(async (event) => {
    const caller = await deps.authenticator.verify(event.headers?.authorization, event.queryStringParameters ?? {});
    const notification = parseJsonBody(event, webhookSchema, { maxBytes: MAX_WEBHOOK_BYTES });
    logger.appendKeys({ subscriptionId: notification.subscriptionId, operationId: notification.operationId });
    const result = await handleFulfillmentWebhook(deps, {
      notification,
      requestId: event.requestContext.requestId,
      caller,
    });
    if (result.outcome === 'unknownAction') addCount('UnknownWebhookAction', 1);
    return jsonResponse(200, result);
  });

/**
 * Counts calls refused as unauthenticated (`WebhookUnauthorized`, a graph: anyone can send a made-up token) and, among
 * them, Microsoft's own calls refused for our configuration (`WebhookRefusingCalls`, which adds to NeedsAttention);
 * runs before `httpErrors` answers them.
 */
function countRefusedCalls(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2> {
  return {
    onError: async (request) => {
      if (request.error instanceof UnauthenticatedError) metrics.addMetric('WebhookUnauthorized', MetricUnit.Count, 1);
      if (request.error instanceof MarketplaceCallRefusedError) addCount('WebhookRefusingCalls', 1);
    },
  };
}
