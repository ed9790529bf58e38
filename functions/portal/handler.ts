import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { originGuard } from '#shared/http/origin-guard.ts';
import { logger } from '#shared/observability.ts';
import { loadPortalConfig } from './config.ts';
import { buildPortalDependencies } from './dependencies.ts';
import { portalErrors, portalRoutes } from './routes.ts';

const deps = buildPortalDependencies(loadPortalConfig());

/**
 * Sign-in with Microsoft (`/auth/sign-in`, `/auth/callback`, `/auth/sign-out`) and the customer and partner
 * portal's pages and assets (`/portal`, `/portal/{proxy+}`). HTML and static files, not JSON: the pages' data comes
 * from the `/v1` API with the session cookie this function sets.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  // Behind a custom domain, only requests that came through CloudFront (and its firewall) are served.
  .use(originGuard())
  .use(portalErrors())
  .handler(httpRouterHandler(portalRoutes(deps)));
