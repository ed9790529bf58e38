import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createDocumentClient } from '#shared/adapters/aws-clients.ts';
import { DynamoContactStates } from '#shared/adapters/dynamodb/dynamo-contact-states.ts';
import { originGuard } from '#shared/http/origin-guard.ts';
import { logger } from '#shared/observability.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { loadContactPagesConfig } from './config.ts';
import { contactPages } from './routes.ts';

const config = loadContactPagesConfig();
const contacts = new DynamoContactStates(createDocumentClient(), config.tableName);

/**
 * The pages behind the links sent to alert contacts: confirm an address (the opt-in), unsubscribe from every alert
 * or one rule (also the RFC 8058 one-click POST of mail clients). Public: the signed token in the link is the
 * credential.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  // Behind a custom domain, only requests that came through CloudFront (and its firewall) are served.
  .use(originGuard())
  .handler(contactPages({ tokens: config.links, states: contacts, changes: contacts, clock: systemClock }));
