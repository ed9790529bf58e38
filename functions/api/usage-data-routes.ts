import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { jsonResponse } from '#shared/http/errors.ts';
import { parseWith } from '#shared/http/request.ts';
import { getAllowance } from '#shared/use-cases/portal-data/get-allowance.ts';
import { getUsageSeries } from '#shared/use-cases/portal-data/get-usage-series.ts';
import { listDayPacks } from '#shared/use-cases/portal-data/list-day-packs.ts';
import { listPartnerCustomers } from '#shared/use-cases/portal-data/list-partner-customers.ts';
import { listPartners } from '#shared/use-cases/portal-data/list-partners.ts';
import { listSubscriptions } from '#shared/use-cases/portal-data/list-subscriptions.ts';
import type { ApiDependencies } from './dependencies.ts';
import type { Route } from './routes.ts';
import {
  idParamSchema,
  listDayPacksQuerySchema,
  listPartnersQuerySchema,
  listSubscriptionsQuerySchema,
  usageSeriesQuerySchema,
} from './schema.ts';

const pathParam = (event: APIGatewayProxyEventV2, name: string) =>
  parseWith(idParamSchema, event.pathParameters?.[name], `path.${name}`);

const queryOf = <T extends Parameters<typeof parseWith>[0]>(event: APIGatewayProxyEventV2, schema: T) =>
  parseWith(schema, event.queryStringParameters ?? {}, 'query');

/**
 * The data API behind the portal's pages (issue 13 point 5) and the lists (issue 14 point 2): usage series, the
 * allowance of the term, the partner's customers, and the paged lists of subscriptions, partners and day packs. Each
 * use case checks the caller's scope.
 */
export function usageDataRoutes(deps: ApiDependencies): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/subscriptions',
      handler: async (event, { principal }) =>
        jsonResponse(200, await listSubscriptions(deps, principal, queryOf(event, listSubscriptionsQuerySchema))),
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}/usage/series',
      handler: async (event, { principal }) => {
        const { from, to, ...query } = queryOf(event, usageSeriesQuerySchema);
        const input = {
          ...query,
          subscriptionId: pathParam(event, 'subscriptionId'),
          ...(from === undefined ? {} : { from: new Date(from) }),
          ...(to === undefined ? {} : { to: new Date(to) }),
        };
        return jsonResponse(200, await getUsageSeries(deps, principal, input));
      },
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}/allowance',
      handler: async (event, { principal }) =>
        jsonResponse(200, await getAllowance(deps, principal, pathParam(event, 'subscriptionId'))),
    },
    {
      method: 'GET',
      path: '/v1/partners',
      handler: async (event, { principal }) =>
        jsonResponse(200, await listPartners(deps, principal, queryOf(event, listPartnersQuerySchema))),
    },
    {
      method: 'GET',
      path: '/v1/partners/{partnerId}/customers',
      handler: async (event, { principal }) =>
        jsonResponse(200, await listPartnerCustomers(deps, principal, pathParam(event, 'partnerId'))),
    },
    {
      method: 'GET',
      path: '/v1/day-packs',
      handler: async (event, { principal }) =>
        jsonResponse(200, await listDayPacks(deps, principal, queryOf(event, listDayPacksQuerySchema))),
    },
  ];
}
