import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { jsonResponse } from '#shared/http/errors.ts';
import { httpErrors } from '#shared/http/middleware.ts';
import { parseJsonBody } from '#shared/http/request.ts';
import { logger } from '#shared/observability.ts';
import { handleFulfillmentWebhook } from '#shared/use-cases/fulfillment/handle-fulfillment-webhook.ts';
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
  .use(httpErrors())
  .handler(async (event) => {
    await deps.authenticator.verify(event.headers?.authorization, event.queryStringParameters ?? {});
    const notification = parseJsonBody(event, webhookSchema, { maxBytes: MAX_WEBHOOK_BYTES });
    logger.appendKeys({ subscriptionId: notification.subscriptionId, operationId: notification.operationId });
    const result = await handleFulfillmentWebhook(deps, { notification, requestId: event.requestContext.requestId });
    return jsonResponse(200, result);
  });
