import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { requirePublisher } from '#shared/domain/access.ts';
import { jsonResponse } from '#shared/http/errors.ts';
import { parseWith } from '#shared/http/request.ts';
import { getEntitlement } from '#shared/use-cases/billing/get-entitlement.ts';
import { listSubscriptionAudit } from '#shared/use-cases/fulfillment/list-subscription-audit.ts';
import type { ApiDependencies } from './dependencies.ts';
import type { Route } from './routes.ts';
import { auditQuerySchema, idParamSchema } from './schema.ts';

const pathParam = (event: APIGatewayProxyEventV2, name: string) =>
  parseWith(idParamSchema, event.pathParameters?.[name], `path.${name}`);

/**
 * The entitlement (any key that may see the subscription) and the audit trail (publisher only) of a subscription.
 * The publisher operations that change it with Microsoft are the PublisherOperations function's
 * (functions/publisher-operations/routes.ts).
 */
export function subscriptionRecordRoutes(deps: ApiDependencies): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}/entitlement',
      handler: async (event, { principal }) =>
        jsonResponse(200, await getEntitlement(deps, principal, pathParam(event, 'subscriptionId'))),
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}/audit',
      handler: async (event, { principal }) => {
        requirePublisher(principal, 'read the audit trail of a subscription');
        const query = parseWith(auditQuerySchema, event.queryStringParameters ?? {}, 'query');
        const subscriptionId = pathParam(event, 'subscriptionId');
        return jsonResponse(200, await listSubscriptionAudit(deps, principal, { subscriptionId, ...query }));
      },
    },
  ];
}
