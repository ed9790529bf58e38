import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { originGuard } from '#shared/http/origin-guard.ts';
import { logger } from '#shared/observability.ts';
import { loadLandingConfig } from './config.ts';
import { buildLandingDependencies } from './dependencies.ts';
import { landingErrors, landingRoutes } from './routes.ts';

const deps = await buildLandingDependencies(loadLandingConfig());

/**
 * The offer's landing page (reference/marketplace-api.md §1.2 Resolve, §1.4): Microsoft sends the customer here with
 * `?token=…` after a purchase and for "Manage account". GET shows the purchase, POST activates it. HTML, not JSON.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  // Behind a custom domain, only requests that came through CloudFront (and its firewall) are served.
  .use(originGuard())
  .use(landingErrors())
  .handler(httpRouterHandler(landingRoutes(deps)));
