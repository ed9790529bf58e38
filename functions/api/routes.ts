import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { catalogVisibleTo } from '#shared/domain/access.ts';
import type { ApiRoute } from '#shared/http/api-route.ts';
import { jsonResponse } from '#shared/http/errors.ts';
import { signedInMe } from '#shared/http/me.ts';
import { parseJsonBody, parseWith } from '#shared/http/request.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { listApiKeys } from '#shared/use-cases/access/list-api-keys.ts';
import { revokeApiKey } from '#shared/use-cases/access/revoke-api-key.ts';
import { getBudget } from '#shared/use-cases/alerts/get-budget.ts';
import { listAlertHistory } from '#shared/use-cases/alerts/list-alert-history.ts';
import { listAlertOutbox } from '#shared/use-cases/alerts/list-alert-outbox.ts';
import { requestBudgetContactConfirmation } from '#shared/use-cases/alerts/request-budget-contact-confirmation.ts';
import { saveBudget } from '#shared/use-cases/alerts/save-budget.ts';
import { getSubscriptionUsage } from '#shared/use-cases/billing/get-subscription-usage.ts';
import { getPrepaidTerm } from '#shared/use-cases/day-packs/get-prepaid-term.ts';
import { issueDayPacksForOffer } from '#shared/use-cases/day-packs/issue-day-packs-for-offer.ts';
import { redeemDayPackForSubscription } from '#shared/use-cases/day-packs/redeem-day-pack-for-subscription.ts';
import { getSubscription } from '#shared/use-cases/fulfillment/get-subscription.ts';
import { listReportingRuns } from '#shared/use-cases/metering/list-reporting-runs.ts';
import { startReportingRun } from '#shared/use-cases/metering/start-reporting-run.ts';
import { approvePurchaseChange } from '#shared/use-cases/partners/approve-purchase-change.ts';
import { getPartner } from '#shared/use-cases/partners/get-partner.ts';
import { linkPartnerCustomer } from '#shared/use-cases/partners/link-partner-customer.ts';
import { releasePurchaseBlock } from '#shared/use-cases/partners/release-purchase-block.ts';
import { requestPartnerContactConfirmation } from '#shared/use-cases/partners/request-partner-contact-confirmation.ts';
import { savePartner } from '#shared/use-cases/partners/save-partner.ts';
import { listDayPacks } from '#shared/use-cases/portal-data/list-day-packs.ts';
import type { ApiDependencies } from './dependencies.ts';
import { docsRoutes } from './docs-routes.ts';
import {
  alertHistoryQuerySchema,
  approvalSchema,
  budgetSchema,
  contactParamSchema,
  createApiKeySchema,
  creditLevelsSchema,
  idParamSchema,
  issueDayPacksSchema,
  listPartnerDayPacksQuerySchema,
  outboxQuerySchema,
  partnerSchema,
  redeemDayPackSchema,
  reportingRunsQuerySchema,
  usageQuerySchema,
} from './schema.ts';
import { subscriptionRecordRoutes } from './subscription-record-routes.ts';
import { usageDataRoutes } from './usage-data-routes.ts';

export type Route = ApiRoute;

const pathParam = (event: APIGatewayProxyEventV2, name: string) =>
  parseWith(idParamSchema, event.pathParameters?.[name], `path.${name}`);

const contactParam = (event: APIGatewayProxyEventV2) =>
  parseWith(contactParamSchema, event.pathParameters?.contact, 'path.contact');

const queryOf = <T extends Parameters<typeof parseWith>[0]>(event: APIGatewayProxyEventV2, schema: T) =>
  parseWith(schema, event.queryStringParameters ?? {}, 'query');

/** The routes of the project's own API. Each maps the request to one use case and its result to a response. */
export function apiRoutes(deps: ApiDependencies): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/me',
      // A key's caller gets its principal as before; a signed-in user also gets who they are (the portal's header).
      handler: async (_event, { principal, user }) => jsonResponse(200, user ? signedInMe(principal, user) : principal),
    },
    {
      method: 'GET',
      path: '/v1/catalog',
      handler: async (_event, { principal }) => jsonResponse(200, catalogVisibleTo(principal, deps.catalog)),
    },
    {
      method: 'POST',
      path: '/v1/api-keys',
      handler: async (event, { principal }) =>
        jsonResponse(201, await createApiKey(deps, principal, parseJsonBody(event, createApiKeySchema))),
    },
    {
      method: 'GET',
      path: '/v1/api-keys',
      handler: async (_event, { principal }) => jsonResponse(200, { apiKeys: await listApiKeys(deps, principal) }),
    },
    {
      method: 'DELETE',
      path: '/v1/api-keys/{keyId}',
      handler: async (event, { principal }) => {
        await revokeApiKey(deps, principal, pathParam(event, 'keyId'));
        return { statusCode: 204 };
      },
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}',
      handler: async (event, { principal }) =>
        jsonResponse(200, await getSubscription(deps, principal, pathParam(event, 'subscriptionId'))),
    },
    {
      method: 'POST',
      path: '/v1/day-packs',
      handler: async (event, { principal }) => {
        const issued = await issueDayPacksForOffer(deps, principal, parseJsonBody(event, issueDayPacksSchema));
        return jsonResponse(201, { dayPacks: issued });
      },
    },
    {
      method: 'GET',
      path: '/v1/partners/{partnerId}/day-packs',
      // Page by page, as `GET /v1/day-packs?partnerId=`: a partner may hold thousands of packs, more than one answer
      // can carry (Lambda's 6 MB), and the whole list in one answer grew slower with every pack.
      handler: async (event, { principal }) =>
        jsonResponse(
          200,
          await listDayPacks(deps, principal, {
            ...queryOf(event, listPartnerDayPacksQuerySchema),
            partnerId: pathParam(event, 'partnerId'),
          }),
        ),
    },
    {
      method: 'POST',
      path: '/v1/subscriptions/{subscriptionId}/day-pack-redemptions',
      handler: async (event, { principal }) => {
        const { code } = parseJsonBody(event, redeemDayPackSchema);
        const subscriptionId = pathParam(event, 'subscriptionId');
        const result = await redeemDayPackForSubscription(deps, principal, { subscriptionId, code });
        // A repeated redemption changed nothing: 200 says so; a new one created an extension: 201.
        return jsonResponse(result.outcome === 'alreadyRedeemed' ? 200 : 201, result);
      },
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}/prepaid-term',
      handler: async (event, { principal }) =>
        jsonResponse(200, await getPrepaidTerm(deps, principal, pathParam(event, 'subscriptionId'))),
    },
    ...alertRoutes(deps),
    ...subscriptionRecordRoutes(deps),
    ...docsRoutes(),
    ...usageDataRoutes(deps),
  ];
}

/** Usage and money month by month, alert settings (budgets, partners, credit levels, approvals), history, outbox. */
function alertRoutes(deps: ApiDependencies): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}/usage',
      handler: async (event, { principal }) => {
        const query = queryOf(event, usageQuerySchema);
        const subscriptionId = pathParam(event, 'subscriptionId');
        return jsonResponse(200, await getSubscriptionUsage(deps, principal, { ...query, subscriptionId }));
      },
    },
    {
      method: 'PUT',
      path: '/v1/subscriptions/{subscriptionId}/budget',
      handler: async (event, { principal }) => {
        const budget = parseJsonBody(event, budgetSchema);
        const subscriptionId = pathParam(event, 'subscriptionId');
        return jsonResponse(200, await saveBudget(deps, principal, { subscriptionId, budget }));
      },
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{subscriptionId}/budget',
      handler: async (event, { principal }) =>
        jsonResponse(200, await getBudget(deps, principal, pathParam(event, 'subscriptionId'))),
    },
    {
      method: 'POST',
      path: '/v1/subscriptions/{subscriptionId}/contacts/{contact}/confirmation',
      handler: async (event, { principal }) => {
        const input = { subscriptionId: pathParam(event, 'subscriptionId'), contact: contactParam(event) };
        return jsonResponse(202, await requestBudgetContactConfirmation(deps, principal, input));
      },
    },
    {
      method: 'POST',
      path: '/v1/partners/{partnerId}/contacts/{contact}/confirmation',
      handler: async (event, { principal }) => {
        const input = { partnerId: pathParam(event, 'partnerId'), contact: contactParam(event) };
        return jsonResponse(202, await requestPartnerContactConfirmation(deps, principal, input));
      },
    },
    {
      method: 'PUT',
      path: '/v1/partners/{partnerId}',
      handler: async (event, { principal }) => {
        const partner = parseJsonBody(event, partnerSchema);
        return jsonResponse(
          200,
          await savePartner(deps, principal, { partnerId: pathParam(event, 'partnerId'), partner }),
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/partners/{partnerId}',
      handler: async (event, { principal }) =>
        jsonResponse(200, await getPartner(deps, principal, pathParam(event, 'partnerId'))),
    },
    {
      method: 'PUT',
      path: '/v1/partners/{partnerId}/customers/{subscriptionId}',
      handler: async (event, { principal }) => {
        const levels = parseJsonBody(event, creditLevelsSchema);
        const input = {
          partnerId: pathParam(event, 'partnerId'),
          subscriptionId: pathParam(event, 'subscriptionId'),
          levels,
        };
        return jsonResponse(200, await linkPartnerCustomer(deps, principal, input));
      },
    },
    {
      method: 'POST',
      path: '/v1/partners/{partnerId}/customers/{subscriptionId}/purchase-block-release',
      handler: async (event, { principal }) => {
        const input = { partnerId: pathParam(event, 'partnerId'), subscriptionId: pathParam(event, 'subscriptionId') };
        return jsonResponse(200, await releasePurchaseBlock(deps, principal, input));
      },
    },
    {
      method: 'POST',
      path: '/v1/partners/{partnerId}/approvals',
      handler: async (event, { principal }) => {
        const approval = parseJsonBody(event, approvalSchema);
        const partnerId = pathParam(event, 'partnerId');
        return jsonResponse(201, await approvePurchaseChange(deps, principal, { partnerId, approval }));
      },
    },
    {
      method: 'GET',
      path: '/v1/alerts',
      handler: async (event, { principal }) =>
        jsonResponse(200, await listAlertHistory(deps, principal, queryOf(event, alertHistoryQuerySchema))),
    },
    {
      method: 'GET',
      path: '/v1/outbox',
      handler: async (event, { principal }) => {
        const { limit } = queryOf(event, outboxQuerySchema);
        return jsonResponse(200, { messages: await listAlertOutbox(deps, principal, limit) });
      },
    },
    {
      method: 'GET',
      path: '/v1/reporting/runs',
      handler: async (event, { principal }) =>
        jsonResponse(200, await listReportingRuns(deps, principal, queryOf(event, reportingRunsQuerySchema))),
    },
    {
      method: 'POST',
      path: '/v1/reporting/runs',
      handler: async (_event, { principal }) =>
        jsonResponse(202, await startReportingRun(deps.reportDispatch, principal)),
    },
  ];
}
