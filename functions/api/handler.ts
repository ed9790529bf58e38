import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { asRouterRoute } from '#shared/http/api-route.ts';
import { apiKeyOrSessionAuth, httpErrors } from '#shared/http/middleware.ts';
import { originGuard } from '#shared/http/origin-guard.ts';
import { logger } from '#shared/observability.ts';
import { loadApiConfig } from './config.ts';
import { buildApiDependencies } from './dependencies.ts';
import { apiRoutes } from './routes.ts';

const deps = buildApiDependencies(loadApiConfig());
const routes = apiRoutes(deps);
/** Route keys of the routes served without an API key (the API's description). */
const publicRouteKeys = new Set(routes.filter((route) => route.public).map((route) => `${route.method} ${route.path}`));

/**
 * The project's own HTTP API (everything but the marketplace's landing page and webhook): every request needs an
 * API key or the portal's session cookie (with its CSRF token on changes), except the API's description (`public`
 * routes); each route then checks the caller's scope.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  // Behind a custom domain, only requests that came through CloudFront (and its firewall) are served.
  .use(originGuard())
  .use(apiKeyOrSessionAuth(deps, { publicRouteKeys }))
  .use(httpErrors())
  .handler(httpRouterHandler(routes.map(asRouterRoute)));
