import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { asRouterRoute } from '#shared/http/api-route.ts';
import { apiKeyOrSessionAuth, httpErrors } from '#shared/http/middleware.ts';
import { originGuard } from '#shared/http/origin-guard.ts';
import { logger } from '#shared/observability.ts';
import { loadPublisherOperationsConfig } from './config.ts';
import { buildPublisherOperationsDependencies } from './dependencies.ts';
import { publisherOperationRoutes } from './routes.ts';

const deps = buildPublisherOperationsDependencies(loadPublisherOperationsConfig());

/**
 * The routes of the project's API that call Microsoft or read its credential (publisher operations, the health
 * check), in a function of their own so that the Api, which serves every other route, carries no marketplace client
 * (axios, openid-client, the SSM client: about 250 KB of bundle and of cold start). Same authentication as the Api:
 * an API key or the portal's session cookie (with its CSRF token on changes).
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  // Behind a custom domain, only requests that came through CloudFront (and its firewall) are served.
  .use(originGuard())
  .use(apiKeyOrSessionAuth(deps))
  .use(httpErrors())
  .handler(httpRouterHandler(publisherOperationRoutes(deps).map(asRouterRoute)));
