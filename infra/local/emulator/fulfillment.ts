/**
 * SaaS Fulfillment API v2 subscription routes (reference §1.2 rows 1–8), with the documented status codes and
 * rules. Operation routes are in `operations.ts`.
 */
import { badRequest, notFound } from './errors.ts';
import { isRecord, parseJson } from './http.ts';
import {
  availablePlanJson,
  findOffer,
  findPlan,
  isPlanAvailable,
  seatLimits,
  termChangeRefusal,
  termFrom,
} from './plans.ts';
import type { EmulatorCore, Route } from './router.ts';
import { type SubscriptionRecord, setStatus, subscriptionJson } from './state.ts';

/** §1.2 List subscriptions: "100 per page". */
export const PAGE_SIZE = 100;
export const API_VERSION = '2018-08-31';

/** Lenient quantity: Microsoft's own samples send `"3"` as well as `3` (§6.11). `undefined` for empty. */
function quantityOf(value: unknown): number | undefined | 'invalid' {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' ? Number(value.trim()) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : 'invalid';
}

export function fulfillmentRoutes(core: EmulatorCore): Route[] {
  const { state, clock } = core;
  const subscriptionOf = (id: string | undefined): SubscriptionRecord => {
    const subscription = id === undefined ? undefined : state.subscriptions.get(id);
    if (!subscription) throw notFound(`Subscription ${id ?? ''} not found.`);
    return subscription;
  };
  const bodyOf = (raw: string): Record<string, unknown> => {
    const body = parseJson(raw, () => badRequest('The request body is not valid JSON.'));
    if (body === undefined) return {};
    if (!isRecord(body)) throw badRequest('The request body must be a JSON object.');
    return body;
  };
  const operationLocation = (subscriptionId: string, operationId: string) =>
    `${core.baseUrl()}/saas/subscriptions/${subscriptionId}/operations/${operationId}?api-version=${API_VERSION}`;
  const lockedCheck = (subscription: SubscriptionRecord) => {
    if (state.pendingOperation(subscription.id)) {
      // §1.2 (observed): the wording of the live API.
      throw badRequest('The subscription is locked due to pending operations.');
    }
  };

  return [
    {
      name: 'resolve',
      group: 'fulfillment',
      method: 'POST',
      pattern: /^\/saas\/subscriptions\/resolve$/,
      handle({ headers }) {
        // §1.1: the landing page's token, URL-decoded. A still-encoded token (`%2B`) is unknown here, as it is to
        // Microsoft ("Failed to decrypt token", §6.2).
        const header = headers['x-ms-marketplace-token'];
        const token = Array.isArray(header) ? header[0] : header;
        if (!token) throw badRequest('The x-ms-marketplace-token header is required.');
        const entry = state.landingTokens.get(token);
        if (!entry) throw badRequest('The marketplace token is malformed or cannot be decrypted.');
        if (entry.expiresAt.getTime() <= clock.nowMs()) throw badRequest('The marketplace token has expired.');
        const subscription = subscriptionOf(entry.subscriptionId);
        return {
          status: 200,
          body: {
            id: subscription.id,
            subscriptionName: subscription.name,
            offerId: subscription.offerId,
            planId: subscription.planId,
            ...(subscription.quantity === undefined ? {} : { quantity: subscription.quantity }),
            subscription: subscriptionJson(subscription),
          },
        };
      },
    },
    {
      name: 'activate',
      group: 'fulfillment',
      method: 'POST',
      pattern: /^\/saas\/subscriptions\/(?<subscriptionId>[^/]+)\/activate$/,
      handle({ params, rawBody }) {
        const subscription = subscriptionOf(params.subscriptionId);
        // §1.2 Activate: 404 when Unsubscribed.
        if (subscription.status === 'Unsubscribed') throw notFound(`Subscription ${subscription.id} is Unsubscribed.`);
        const body = bodyOf(rawBody);
        const planId = typeof body.planId === 'string' ? body.planId.trim() : '';
        if (planId === '') throw badRequest('planId is required.');
        if (subscription.status === 'Subscribed' || subscription.status === 'Suspended') {
          throw badRequest(`The subscription is already ${subscription.status}.`);
        }
        if (!core.behaviour.activateSkipsPlanCheck && planId !== subscription.planId) {
          throw badRequest(`planId ${planId} differs from the purchased plan ${subscription.planId}.`);
        }
        const quantity = quantityOf(body.quantity);
        // Quantity may be empty (§1.2); on a flat-rate plan it has no meaning and is ignored.
        if (subscription.quantity !== undefined && quantity !== undefined && quantity !== subscription.quantity) {
          throw badRequest(`quantity ${String(body.quantity)} differs from the purchased ${subscription.quantity}.`);
        }
        const now = clock.now();
        const term = termFrom(now, subscription.termUnit);
        subscription.startDate = term.startDate;
        subscription.endDate = term.endDate;
        setStatus(subscription, 'Subscribed', now);
        core.operations.scheduleRenewal(subscription);
        return { status: 200 };
      },
    },
    {
      name: 'listSubscriptions',
      group: 'fulfillment',
      method: 'GET',
      pattern: /^\/saas\/subscriptions$/,
      handle({ url }) {
        const all = [...state.subscriptions.values()];
        // Opaque to clients; here simply the offset of the page.
        const continuation = url.searchParams.get('continuationToken');
        let offset = 0;
        if (continuation) {
          offset = Number(Buffer.from(continuation, 'base64url').toString('utf8'));
          if (!Number.isInteger(offset) || offset < 0) throw badRequest('The continuationToken is not valid.');
        }
        // §1.2: "With no subscriptions the body is empty."
        if (all.length === 0) return { status: 200 };
        const page = all.slice(offset, offset + PAGE_SIZE);
        const next = offset + PAGE_SIZE < all.length ? offset + PAGE_SIZE : undefined;
        return {
          status: 200,
          body: {
            subscriptions: page.map(subscriptionJson),
            // §1.2: a full URL with continuationToken; absent on the last page.
            ...(next === undefined
              ? {}
              : {
                  '@nextLink': `${core.baseUrl()}/saas/subscriptions?api-version=${API_VERSION}&continuationToken=${Buffer.from(String(next)).toString('base64url')}`,
                }),
          },
        };
      },
    },
    {
      name: 'getSubscription',
      group: 'fulfillment',
      method: 'GET',
      pattern: /^\/saas\/subscriptions\/(?<subscriptionId>[^/]+)$/,
      handle({ params }) {
        return { status: 200, body: subscriptionJson(subscriptionOf(params.subscriptionId)) };
      },
    },
    {
      name: 'listAvailablePlans',
      group: 'fulfillment',
      method: 'GET',
      pattern: /^\/saas\/subscriptions\/(?<subscriptionId>[^/]+)\/listAvailablePlans$/,
      handle({ params, url }) {
        // The doc text says an unknown id gives an empty body; the emulator follows the table's 404 (§1.2).
        const subscription = subscriptionOf(params.subscriptionId);
        const offer = findOffer(core.catalog, subscription.offerId);
        const wanted = url.searchParams.get('planId');
        const plans = (offer?.plans ?? [])
          .filter((plan) => wanted === null || plan.id === wanted)
          .filter((plan) => isPlanAvailable(plan, customerOf(subscription)))
          .map((plan) =>
            availablePlanJson(offer ?? { id: '', displayName: '', dimensions: [], plans: [] }, plan, subscription),
          );
        return { status: 200, body: { plans } };
      },
    },
    {
      name: 'updateSubscription',
      group: 'fulfillment',
      method: 'PATCH',
      pattern: /^\/saas\/subscriptions\/(?<subscriptionId>[^/]+)$/,
      handle({ params, rawBody }) {
        const subscription = subscriptionOf(params.subscriptionId);
        const body = bodyOf(rawBody);
        const hasPlan = body.planId !== undefined && body.planId !== null && body.planId !== '';
        const hasQuantity = body.quantity !== undefined && body.quantity !== null && body.quantity !== '';
        // §1.2: "One field per call: plan or quantity, never both."
        if (hasPlan && hasQuantity) throw badRequest('Change either planId or quantity, not both in one call.');
        if (!hasPlan && !hasQuantity) throw badRequest('The body must carry planId or quantity.');
        if (subscription.status !== 'Subscribed') {
          throw badRequest(`The subscription is ${subscription.status}; only Subscribed subscriptions can change.`);
        }
        if (!subscription.allowedCustomerOperations.includes('Update')) {
          throw badRequest('Update is not in allowedCustomerOperations for this subscription.');
        }
        lockedCheck(subscription);
        const offer = findOffer(core.catalog, subscription.offerId);
        if (hasPlan) {
          const planId = typeof body.planId === 'string' ? body.planId.trim() : '';
          if (planId === subscription.planId) throw badRequest(`The subscription is already on plan ${planId}.`);
          const plan = findPlan(offer, planId);
          if (!plan || !isPlanAvailable(plan, customerOf(subscription))) {
            throw badRequest(`Plan ${planId} does not exist or is not available to this subscription.`);
          }
          const refusal = termChangeRefusal(plan, subscription);
          if (refusal) throw badRequest(refusal);
          const operation = core.operations.startPartnerOperation(subscription, 'ChangePlan', { planId });
          return { status: 202, headers: { 'operation-location': operationLocation(subscription.id, operation.id) } };
        }
        const plan = findPlan(offer, subscription.planId);
        const quantity = quantityOf(body.quantity);
        if (plan?.pricingModel !== 'perUser') {
          throw badRequest(`Plan ${subscription.planId} is not priced per seat: its quantity cannot change.`);
        }
        const { min, max } = seatLimits(plan);
        if (quantity === 'invalid' || quantity === undefined || quantity < min || quantity > max) {
          throw badRequest(`quantity must be an integer between ${min} and ${max} for plan ${plan.id}.`);
        }
        if (quantity === subscription.quantity) throw badRequest(`The subscription already has quantity ${quantity}.`);
        const operation = core.operations.startPartnerOperation(subscription, 'ChangeQuantity', { quantity });
        return { status: 202, headers: { 'operation-location': operationLocation(subscription.id, operation.id) } };
      },
    },
    {
      name: 'deleteSubscription',
      group: 'fulfillment',
      method: 'DELETE',
      pattern: /^\/saas\/subscriptions\/(?<subscriptionId>[^/]+)$/,
      handle({ params }) {
        const subscription = subscriptionOf(params.subscriptionId);
        if (!subscription.allowedCustomerOperations.includes('Delete')) {
          throw badRequest('Delete is not in allowedCustomerOperations for this subscription.');
        }
        if (subscription.status === 'Unsubscribed') throw badRequest('The subscription is already Unsubscribed.');
        lockedCheck(subscription);
        const operation = core.operations.startPartnerOperation(subscription, 'Unsubscribe');
        return { status: 202, headers: { 'operation-location': operationLocation(subscription.id, operation.id) } };
      },
    },
  ];
}

export function customerOf(subscription: SubscriptionRecord) {
  return {
    tenantId: subscription.beneficiary.tenantId,
    subscriptionId: subscription.id,
    currency: subscription.currency,
  };
}
