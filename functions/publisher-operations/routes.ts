import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { requirePublisher } from '#shared/domain/access.ts';
import type { ApiRoute } from '#shared/http/api-route.ts';
import { jsonResponse } from '#shared/http/errors.ts';
import type { AuthContext } from '#shared/http/middleware.ts';
import { parseJsonBody, parseWith } from '#shared/http/request.ts';
import { logger } from '#shared/observability.ts';
import {
  getPublisherOperation,
  type PublisherOperationView,
  type PublisherRequest,
  requestSubscriptionChange,
} from '#shared/use-cases/fulfillment/request-subscription-change.ts';
import { checkHealth } from '#shared/use-cases/operations/check-health.ts';
import type { PublisherOperationsDependencies } from './dependencies.ts';
import { changePlanSchema, changeQuantitySchema, idParamSchema } from './schema.ts';

const pathParam = (event: APIGatewayProxyEventV2, name: string) =>
  parseWith(idParamSchema, event.pathParameters?.[name], `path.${name}`);

/** The publisher's credit-level override, when the body asks for it (the schema has required its reason). */
const overrideOf = (body: { overrideCreditLevel?: true; reason?: string }) =>
  body.overrideCreditLevel && body.reason ? { overrideCreditLevel: { reason: body.reason } } : {};

/** Where the status of a running operation can be read again. */
const operationPath = (view: PublisherOperationView) =>
  `/v1/subscriptions/${encodeURIComponent(view.subscriptionId)}/operations/${encodeURIComponent(view.operationId)}`;

/** 200 with the final status; 202 while Microsoft is still working on it, with where to poll. */
const operationResponse = (view: PublisherOperationView) =>
  view.done ? jsonResponse(200, view) : jsonResponse(202, view, { location: operationPath(view) });

/**
 * The API routes that call Microsoft or read its credential: the publisher operations (change plan, change seats,
 * cancel, follow the operation; publisher only) and the health check (which reports the Entra credential). The scope
 * is checked before the body is read, so a partner or customer gets 403 whatever it sends.
 */
export function publisherOperationRoutes(deps: PublisherOperationsDependencies): ApiRoute[] {
  const publisherOperation = async (
    event: APIGatewayProxyEventV2,
    principal: AuthContext['principal'],
    request: () => PublisherRequest,
  ) => {
    requirePublisher(principal, 'change the plan or seats of a subscription or cancel it');
    const input = { subscriptionId: pathParam(event, 'subscriptionId'), request: request() };
    const view = await requestSubscriptionChange(
      { ...deps, marketplace: await deps.connectMarketplace(), logger },
      principal,
      input,
    );
    return operationResponse(view);
  };
  return [
    {
      method: 'GET',
      path: '/health',
      handler: async () => {
        const report = await checkHealth(deps);
        return jsonResponse(report.healthy ? 200 : 503, { status: report.healthy ? 'ok' : 'degraded', ...report });
      },
    },
    {
      method: 'POST',
      path: '/v1/subscriptions/{subscriptionId}/plan',
      handler: (event, { principal }) =>
        publisherOperation(event, principal, () => {
          const body = parseJsonBody(event, changePlanSchema);
          return { kind: 'plan', planId: body.planId, ...overrideOf(body) };
        }),
    },
    {
      method: 'POST',
      path: '/v1/subscriptions/{subscriptionId}/quantity',
      handler: (event, { principal }) =>
        publisherOperation(event, principal, () => {
          const body = parseJsonBody(event, changeQuantitySchema);
          return { kind: 'quantity', quantity: body.quantity, ...overrideOf(body) };
        }),
    },
    {
      method: 'DELETE',
      path: '/v1/subscriptions/{subscriptionId}',
      handler: (event, { principal }) => publisherOperation(event, principal, () => ({ kind: 'cancel' })),
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}/operations/{operationId}',
      handler: async (event, { principal }) => {
        requirePublisher(principal, 'read marketplace operations');
        const input = {
          subscriptionId: pathParam(event, 'subscriptionId'),
          operationId: pathParam(event, 'operationId'),
        };
        const view = await getPublisherOperation(
          { ...deps, marketplace: await deps.connectMarketplace(), logger },
          principal,
          input,
        );
        return jsonResponse(200, view);
      },
    },
  ];
}
