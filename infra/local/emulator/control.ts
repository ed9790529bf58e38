/**
 * (Over 400 lines: the control API is one surface, in-process and over HTTP, with its request schemas beside it.)
 * The control and inspection API: what the customer and Microsoft do (purchase, portal changes, suspend, reinstate,
 * renew, unsubscribe), the clock, the webhook URL, fault injection, and read access to the ledger, the webhook
 * deliveries, subscriptions and operations. The same operations are available in-process (`EmulatorControl`) and over
 * HTTP as JSON under `/_emulator` (routes listed on `controlRequestHandler`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type Catalog, TERM_UNITS } from '#shared/domain/catalog.ts';
import { describeIssues } from '#shared/zod-issues.ts';
import type { EmulatorClock } from './clock.ts';
import type { EntraAuthority } from './entra.ts';
import { ControlError } from './errors.ts';
import type { FaultInjector, FaultRule } from './faults.ts';
import { isRecord, readBody, writeReply } from './http.ts';
import type { OperationEngine } from './operations.ts';
import {
  chargeDurationOf,
  findOffer,
  findPlan,
  isPlanAvailable,
  seatLimits,
  termChangeRefusal,
  termFrom,
} from './plans.ts';
import {
  type AcceptedUsageEvent,
  type CustomerOperation,
  type EmulatorState,
  iso,
  type OperationRecord,
  operationJson,
  type SubscriptionRecord,
  subscriptionJson,
  type WebhookDelivery,
} from './state.ts';
import type { WebhookSender } from './webhooks.ts';

/** §0: the landing-page token is "usually valid for 24 hours". */
const LANDING_TOKEN_LIFETIME_MS = 24 * 3600_000;

const partySchema = z.strictObject({
  tenantId: z.string().min(1),
  emailId: z.string().min(1),
  objectId: z.string().optional(),
  puid: z.string().optional(),
});

/** Argument of `control.seedSubscribed`. */
export interface SeedSubscribedInput {
  readonly offerId: string;
  readonly planId: string;
  readonly count: number;
  /** The beneficiary and purchaser tenant of every one (a new one when absent). */
  readonly tenantId?: string;
}

/** Body of `POST /_emulator/purchases` and argument of `control.purchase`. */
export const purchaseSchema = z.strictObject({
  offerId: z.string().min(1),
  planId: z.string().min(1),
  /** Seats; required range from the plan for per-user plans (default: the plan's minimum), absent for flat-rate. */
  quantity: z.number().int().positive().optional(),
  beneficiary: partySchema,
  purchaser: partySchema,
  /** Default: whether the plan offers a free trial. */
  isFreeTrial: z.boolean().optional(),
  /** Default true (§1.3). */
  autoRenew: z.boolean().optional(),
  /** One of the plan's billing terms; default its first. */
  termUnit: z.enum(TERM_UNITS).optional(),
  /** The subscription name the customer typed; default "<offer display name> subscription". */
  name: z.string().optional(),
  /** §1.3: CSP purchases give the beneficiary only `Read`. Default all three. */
  allowedCustomerOperations: z.array(z.enum(['Read', 'Update', 'Delete'])).optional(),
  sandboxType: z.enum(['None', 'Csp']).optional(),
  sessionMode: z.enum(['None', 'DryRun']).optional(),
  /** The customer's market (List Available Plans `market`); default `US`. */
  market: z.string().optional(),
  /** Currency of the customer's geography; default USD when the plan is priced in it, else its first currency. */
  currency: z.string().optional(),
});
export type PurchaseInput = z.input<typeof purchaseSchema>;

export interface LandingToken {
  /** The raw token (base64 with `+`, `/`): send it as-is in `x-ms-marketplace-token`. */
  readonly token: string;
  /** `<landing page>?token=<URL-encoded token>`, as Microsoft opens it. */
  readonly landingUrl: string;
  readonly tokenExpiresAt: string;
}

export interface PurchaseResult extends LandingToken {
  readonly subscriptionId: string;
}

/** A subscription as Get Subscription shows it, plus the emulator's status and plan history. */
export type SubscriptionView = Record<string, unknown> & {
  /** Set once the marketplace deleted the purchase (never activated within 30 days); Get Subscription is 404 then. */
  deletedAt?: string;
  statusHistory: { status: string; at: string }[];
  planHistory: { planId: string; at: string }[];
};

/** An operation as Get Operation shows it, plus who started it and when it ended. */
export type OperationView = Record<string, unknown> & {
  id: string;
  status: string;
  action: string;
  operationRequestSource: 'Azure' | 'Partner';
  completedAt?: string;
  /** Errors the emulator recorded on the operation (e.g. a PATCH before its webhook call returned); [] when none. */
  errors: { at: string; message: string }[];
  /** PATCHes the publisher sent for the operation, those answered 409 included. */
  patchCount: number;
};

/**
 * Customer actions, clock, faults and inspection. Methods that change state return once the first webhook attempt
 * they cause has been answered (or has failed), so a test can assert on `webhookDeliveries()` right after.
 * Errors are `ControlError` (status 400 for bad input, 404 unknown subscription, 409 wrong state or locked).
 */
export interface EmulatorControl {
  /**
   * A customer buys a plan: the subscription is PendingFulfillmentStart until the publisher activates it (deleted if
   * still so 30 days later), or, for a plan with `autoActivation`, Subscribed at once with a `Subscribe` webhook.
   */
  purchase(input: PurchaseInput): Promise<PurchaseResult>;
  /**
   * Creates `count` subscriptions already Subscribed to the plan since now, without webhooks, operations or renewal
   * timers: for benchmarks and load tests that need many subscriptions the Metering API knows (100,000 slots), which
   * purchase-and-activate would take minutes to make. Not something the marketplace can do.
   * @returns their ids.
   */
  seedSubscribed(input: SeedSubscribedInput): string[];
  /** A fresh landing token for an existing subscription ("Manage account", §1.2 Resolve). */
  landingToken(subscriptionId: string): Promise<LandingToken>;
  /** Customer-initiated plan change: webhook InProgress, auto-accepted after 10 s unless the publisher PATCHes Failure. */
  changePlanFromPortal(subscriptionId: string, planId: string): Promise<OperationView>;
  /** Customer-initiated seat change (same flow as the plan change). */
  changeQuantityFromPortal(subscriptionId: string, quantity: number): Promise<OperationView>;
  /** Payment failed: Subscribed → Suspended, inform-only webhook. */
  suspend(subscriptionId: string): Promise<OperationView>;
  /** Payment fixed: webhook InProgress; the publisher's PATCH Success makes it Subscribed. */
  reinstate(subscriptionId: string): Promise<OperationView>;
  /** The term ends: dates move to the next term (or cancellation when autoRenew is off); inform-only webhook. */
  renew(subscriptionId: string): Promise<OperationView>;
  /** The customer cancels: Unsubscribed at once, inform-only webhook. */
  unsubscribe(subscriptionId: string): Promise<OperationView>;
  /** The emulator clock's current instant. */
  now(): Date;
  /** Moves the clock (forward: runs the timers falling due on the way: auto-accept, completions, redelivery). */
  setTime(date: Date | string): Promise<void>;
  advance(ms: number): Promise<void>;
  setWebhookUrl(url: string | undefined): void;
  setLandingPageUrl(url: string): void;
  /** Replaces the fault rules; the random sequence restarts from `seed` (default: the emulator's seed). */
  setFaults(rules: FaultRule | readonly FaultRule[], seed?: number): void;
  clearFaults(): void;
  /** Every accepted usage event, in acceptance order, with its usageEventId. */
  usageLedger(): AcceptedUsageEvent[];
  /** Every webhook attempt: payload, token, HTTP status answered (or the error). */
  webhookDeliveries(): WebhookDelivery[];
  subscription(subscriptionId: string): SubscriptionView | undefined;
  /** Every operation of the subscription, completed ones included, oldest first. */
  operations(subscriptionId: string): OperationView[];
  /** Registers another Entra app in the publisher's tenant (e.g. to prove a foreign app's token gets 403). */
  registerApplication(app?: { clientId?: string; clientSecret?: string; tenantId?: string }): {
    tenantId: string;
    clientId: string;
    clientSecret: string;
  };
  /**
   * Forgets subscriptions, tokens, operations, ledger, deliveries, timers, faults and extra apps, and restarts the
   * fault sequence from the seed. A `manual` clock goes back to the start time (a `running` one keeps running).
   * Keeps the webhook URL, the landing page URL and the keys.
   */
  reset(): void;
}

export interface ControlDeps {
  readonly catalog: Catalog;
  readonly state: EmulatorState;
  readonly clock: EmulatorClock;
  readonly operations: OperationEngine;
  readonly webhooks: WebhookSender;
  readonly faults: FaultInjector;
  readonly entra: EntraAuthority;
  readonly publisher: { readonly tenantId: string; readonly clientId: string; readonly publisherId: string };
  readonly landingPageUrl: string;
  readonly startTime: Date;
}

/** A landing token is opaque base64; one with both `+` and `/` makes a client that forgets to URL-decode fail. */
function newLandingTokenValue(): string {
  for (;;) {
    const token = randomBytes(96).toString('base64');
    if (token.includes('+') && token.includes('/')) return token;
  }
}

function operationView(operation: OperationRecord): OperationView {
  return {
    ...operationJson(operation),
    id: operation.id,
    status: operation.status,
    action: operation.action,
    operationRequestSource: operation.source,
    ...(operation.completedAt === undefined ? {} : { completedAt: iso(operation.completedAt) }),
    errors: (operation.errors ?? []).map((error) => ({ ...error })),
    patchCount: operation.patchCount ?? 0,
  };
}

export function createControl(deps: ControlDeps): EmulatorControl {
  const { state, clock, catalog } = deps;
  let landingPageUrl = deps.landingPageUrl;

  const subscriptionOf = (id: string): SubscriptionRecord => {
    const subscription = state.subscriptions.get(id);
    if (!subscription) throw new ControlError(404, `no subscription ${id}`);
    return subscription;
  };

  const issueLandingToken = (subscriptionId: string): LandingToken => {
    const token = newLandingTokenValue();
    const expiresAt = new Date(clock.nowMs() + LANDING_TOKEN_LIFETIME_MS);
    state.landingTokens.set(token, { subscriptionId, expiresAt });
    const separator = landingPageUrl.includes('?') ? '&' : '?';
    return {
      token,
      landingUrl: `${landingPageUrl}${separator}token=${encodeURIComponent(token)}`,
      tokenExpiresAt: iso(expiresAt),
    };
  };

  const party = (input: z.infer<typeof partySchema>) => ({
    emailId: input.emailId,
    objectId: input.objectId ?? randomUUID(),
    tenantId: input.tenantId,
    puid: input.puid ?? randomBytes(8).toString('hex').toUpperCase(),
  });

  return {
    async purchase(rawInput) {
      const parsed = purchaseSchema.safeParse(rawInput);
      if (!parsed.success) throw new ControlError(400, `invalid purchase: ${describeIssues(parsed.error)}`);
      const input = parsed.data;
      const offer = findOffer(catalog, input.offerId);
      if (!offer) throw new ControlError(400, `no offer ${input.offerId} in the catalog`);
      const plan = findPlan(offer, input.planId);
      if (!plan) throw new ControlError(400, `no plan ${input.planId} in offer ${offer.id}`);
      const term = input.termUnit
        ? plan.billingTerms.find((candidate) => candidate.termUnit === input.termUnit)
        : plan.billingTerms[0];
      if (!term) throw new ControlError(400, `plan ${plan.id} has no ${input.termUnit ?? ''} term`);
      const currency = input.currency ?? (term.price.USD !== undefined ? 'USD' : Object.keys(term.price)[0]);
      if (currency === undefined || term.price[currency] === undefined) {
        throw new ControlError(400, `plan ${plan.id} has no price in ${currency ?? '(none)'}`);
      }
      if (!isPlanAvailable(plan, { tenantId: input.beneficiary.tenantId, currency })) {
        throw new ControlError(
          400,
          `plan ${plan.id} is private and tenant ${input.beneficiary.tenantId} is not in its audience`,
        );
      }
      let quantity: number | undefined;
      if (plan.pricingModel === 'perUser') {
        const { min, max } = seatLimits(plan);
        quantity = input.quantity ?? min;
        if (quantity < min || quantity > max) throw new ControlError(400, `quantity must be within ${min}..${max}`);
      } else if (input.quantity !== undefined) {
        throw new ControlError(400, `plan ${plan.id} is flat-rate: no quantity`);
      }
      if (input.isFreeTrial && !plan.freeTrial) throw new ControlError(400, `plan ${plan.id} has no free trial`);
      const now = clock.now();
      // Auto-activation (marketplace-2026.md, 2026-05): Subscribed and billed from the purchase instant, never
      // PendingFulfillmentStart; the term runs from the purchase to the last day before its anniversary.
      const autoActivated = plan.autoActivation === true;
      const status = autoActivated ? 'Subscribed' : 'PendingFulfillmentStart';
      const subscription: SubscriptionRecord = {
        id: randomUUID(),
        name: input.name ?? `${offer.displayName} subscription`,
        publisherId: deps.publisher.publisherId,
        offerId: offer.id,
        planId: plan.id,
        quantity,
        status,
        beneficiary: party(input.beneficiary),
        purchaser: party(input.purchaser),
        termUnit: term.termUnit,
        chargeDuration: chargeDurationOf(term),
        startDate: autoActivated ? now : undefined,
        endDate: autoActivated ? termFrom(now, term.termUnit).endDate : undefined,
        autoRenew: input.autoRenew ?? true,
        isFreeTrial: input.isFreeTrial ?? plan.freeTrial,
        allowedCustomerOperations: [
          ...(input.allowedCustomerOperations ?? ['Read', 'Update', 'Delete']),
        ] as CustomerOperation[],
        sessionMode: input.sessionMode ?? 'None',
        sandboxType: input.sandboxType ?? 'None',
        market: input.market ?? 'US',
        currency,
        created: now,
        lastModified: now,
        statusHistory: [{ status, at: now }],
        planHistory: [{ planId: plan.id, at: now }],
      };
      state.subscriptions.set(subscription.id, subscription);
      // The customer may still open the landing page (to configure, for an auto-activated plan): a token either way.
      const landing = issueLandingToken(subscription.id);
      if (autoActivated) {
        await deps.operations.autoActivate(subscription);
      } else {
        // §1.2 Resolve / §6.3: no webhook for such a purchase; the publisher learns of it from the landing page, and
        // the marketplace deletes it if nobody activates it within 30 days.
        deps.operations.scheduleFulfillmentDeadline(subscription);
      }
      return { subscriptionId: subscription.id, ...landing };
    },
    seedSubscribed(input) {
      const offer = findOffer(catalog, input.offerId);
      const plan = offer && findPlan(offer, input.planId);
      const term = plan?.billingTerms[0];
      if (!offer || !plan || !term) throw new ControlError(400, `no plan ${input.planId} in offer ${input.offerId}`);
      if (!Number.isInteger(input.count) || input.count < 1) throw new ControlError(400, 'count must be ≥ 1');
      const currency = term.price.USD !== undefined ? 'USD' : (Object.keys(term.price)[0] ?? 'USD');
      const tenantId = input.tenantId ?? randomUUID();
      const now = clock.now();
      const dates = termFrom(now, term.termUnit);
      const ids: string[] = [];
      for (let index = 0; index < input.count; index++) {
        const subscription: SubscriptionRecord = {
          id: randomUUID(),
          name: `${offer.displayName} subscription`,
          publisherId: deps.publisher.publisherId,
          offerId: offer.id,
          planId: plan.id,
          quantity: plan.pricingModel === 'perUser' ? seatLimits(plan).min : undefined,
          status: 'Subscribed',
          beneficiary: party({ tenantId, emailId: 'user@customer.example' }),
          purchaser: party({ tenantId, emailId: 'buyer@customer.example' }),
          termUnit: term.termUnit,
          chargeDuration: chargeDurationOf(term),
          startDate: dates.startDate,
          endDate: dates.endDate,
          autoRenew: true,
          isFreeTrial: false,
          allowedCustomerOperations: ['Read', 'Update', 'Delete'],
          sessionMode: 'None',
          sandboxType: 'None',
          market: 'US',
          currency,
          created: now,
          lastModified: now,
          statusHistory: [{ status: 'Subscribed', at: now }],
          planHistory: [{ planId: plan.id, at: now }],
        };
        state.subscriptions.set(subscription.id, subscription);
        ids.push(subscription.id);
      }
      return ids;
    },
    async landingToken(subscriptionId) {
      return issueLandingToken(subscriptionOf(subscriptionId).id);
    },
    async changePlanFromPortal(subscriptionId, planId) {
      const subscription = subscriptionOf(subscriptionId);
      const plan = findPlan(findOffer(catalog, subscription.offerId), planId);
      if (planId === subscription.planId) throw new ControlError(400, `already on plan ${planId}`);
      if (
        !plan ||
        !isPlanAvailable(plan, {
          tenantId: subscription.beneficiary.tenantId,
          subscriptionId,
          currency: subscription.currency,
        })
      ) {
        throw new ControlError(400, `plan ${planId} is not available to subscription ${subscriptionId}`);
      }
      const refusal = termChangeRefusal(plan, subscription);
      if (refusal) throw new ControlError(400, refusal);
      return operationView(await deps.operations.portalChange(subscription, { planId }));
    },
    async changeQuantityFromPortal(subscriptionId, quantity) {
      const subscription = subscriptionOf(subscriptionId);
      const plan = findPlan(findOffer(catalog, subscription.offerId), subscription.planId);
      if (plan?.pricingModel !== 'perUser') throw new ControlError(400, `plan ${subscription.planId} is not per seat`);
      const { min, max } = seatLimits(plan);
      if (!Number.isInteger(quantity) || quantity < min || quantity > max) {
        throw new ControlError(400, `quantity must be an integer within ${min}..${max}`);
      }
      if (quantity === subscription.quantity) throw new ControlError(400, `quantity is already ${quantity}`);
      return operationView(await deps.operations.portalChange(subscription, { quantity }));
    },
    async suspend(subscriptionId) {
      return operationView(await deps.operations.suspend(subscriptionOf(subscriptionId)));
    },
    async reinstate(subscriptionId) {
      return operationView(await deps.operations.reinstate(subscriptionOf(subscriptionId)));
    },
    async renew(subscriptionId) {
      return operationView(await deps.operations.renew(subscriptionOf(subscriptionId)));
    },
    async unsubscribe(subscriptionId) {
      return operationView(await deps.operations.unsubscribe(subscriptionOf(subscriptionId), 'Azure'));
    },
    now: () => clock.now(),
    async setTime(date) {
      const target = typeof date === 'string' ? new Date(date) : date;
      if (Number.isNaN(target.getTime())) throw new ControlError(400, 'not a valid date');
      if (clock.mode === 'shared' && target.getTime() < clock.nowMs()) {
        throw new ControlError(
          409,
          `the emulator shares the local system's clock, which only moves forward: ${target.toISOString()} is before ` +
            `its current time ${clock.now().toISOString()}`,
        );
      }
      await clock.requestMove(target);
    },
    async advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new ControlError(400, 'advance needs a non-negative number of ms');
      await clock.requestMove(new Date(clock.nowMs() + ms));
    },
    setWebhookUrl(url) {
      deps.webhooks.setUrl(url);
    },
    setLandingPageUrl(url) {
      if (url.includes('#')) throw new ControlError(400, 'a landing page URL must not contain # (§1.2)');
      landingPageUrl = url;
    },
    setFaults(rules, seed) {
      deps.faults.set(rules, seed);
    },
    clearFaults() {
      deps.faults.clear();
    },
    usageLedger: () => state.ledger.map((event) => ({ ...event })),
    webhookDeliveries: () => state.deliveries.map((delivery) => structuredClone(delivery)),
    subscription(subscriptionId) {
      const subscription = state.subscriptions.get(subscriptionId) ?? state.deletedSubscriptions.get(subscriptionId);
      if (!subscription) return undefined;
      return {
        ...subscriptionJson(subscription),
        ...(subscription.deletedAt === undefined ? {} : { deletedAt: iso(subscription.deletedAt) }),
        statusHistory: subscription.statusHistory.map((entry) => ({ status: entry.status, at: iso(entry.at) })),
        planHistory: subscription.planHistory.map((entry) => ({ planId: entry.planId, at: iso(entry.at) })),
      };
    },
    operations(subscriptionId) {
      return state.operationsOf(subscriptionId).map(operationView);
    },
    registerApplication(app = {}) {
      const registered = {
        tenantId: app.tenantId ?? deps.publisher.tenantId,
        clientId: app.clientId ?? randomUUID(),
        clientSecret: app.clientSecret ?? randomBytes(30).toString('base64url'),
      };
      deps.entra.register(registered);
      return registered;
    },
    reset() {
      state.clear();
      clock.cancelAll();
      if (clock.mode === 'manual') void clock.setTime(deps.startTime);
      deps.faults.clear();
      deps.faults.set([]);
      deps.entra.unregisterAllBut([deps.publisher.clientId]);
    },
  };
}

const faultRuleSchema = z.strictObject({
  match: z.union([z.string(), z.array(z.string())]).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  throttleRate: z.number().min(0).max(1).optional(),
  retryAfterSeconds: z.number().int().min(0).optional(),
  latencyMs: z.number().min(0).optional(),
  dropRate: z.number().min(0).max(1).optional(),
  dropPhase: z.enum(['before', 'after', 'random']).optional(),
  count: z.number().int().positive().optional(),
});
const setFaultsSchema = z.strictObject({
  rules: z.union([faultRuleSchema, z.array(faultRuleSchema)]),
  seed: z.number().int().optional(),
});
const clockSchema = z.union([
  z.strictObject({ time: z.iso.datetime({ offset: true }) }),
  z.strictObject({ advanceMs: z.number().min(0) }),
]);
const webhookSchema = z.strictObject({ url: z.url().nullable() });
const landingPageSchema = z.strictObject({ url: z.url() });
const changePlanSchema = z.strictObject({ planId: z.string().min(1) });
const changeQuantitySchema = z.strictObject({ quantity: z.number().int() });
const applicationSchema = z.strictObject({
  clientId: z.string().optional(),
  clientSecret: z.string().optional(),
  tenantId: z.string().optional(),
});

function parse<T extends z.ZodType>(schema: T, raw: string): z.infer<T> {
  let json: unknown = {};
  if (raw.trim() !== '') {
    try {
      json = JSON.parse(raw);
    } catch {
      throw new ControlError(400, 'the body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ControlError(400, describeIssues(parsed.error));
  return parsed.data;
}

/**
 * HTTP face of the control API (JSON in and out; errors as `{ "error": { "code", "message" } }`):
 *
 * | Method + path (below `/_emulator`) | Body | Answer |
 * |---|---|---|
 * | `GET /` | | URLs, publisher credentials, clock, webhook URL |
 * | `POST /purchases` | `PurchaseInput` | `{ subscriptionId, token, landingUrl, tokenExpiresAt }` |
 * | `POST /subscriptions/{id}/landing-token` | | `{ token, landingUrl, tokenExpiresAt }` |
 * | `POST /subscriptions/{id}/change-plan` | `{ planId }` | operation |
 * | `POST /subscriptions/{id}/change-quantity` | `{ quantity }` | operation |
 * | `POST /subscriptions/{id}/suspend` · `reinstate` · `renew` · `unsubscribe` | | operation |
 * | `GET /subscriptions/{id}` | | subscription with history (and `deletedAt` once deleted at day 30) |
 * | `GET /subscriptions/{id}/operations` | | `{ operations }` (all, completed included) |
 * | `GET /clock` · `POST /clock` | `{ time }` or `{ advanceMs }` | `{ now }` |
 * | `PUT /webhook` | `{ url }` (null to unset) | `{ url }` |
 * | `PUT /landing-page` | `{ url }` | `{ url }` |
 * | `PUT /faults` · `GET /faults` · `DELETE /faults` | `{ rules, seed? }` | `{ rules }` |
 * | `GET /ledger` | | `{ events }` |
 * | `GET /webhook-deliveries` | | `{ deliveries }` |
 * | `POST /applications` | `{ clientId?, clientSecret? }` | `{ tenantId, clientId, clientSecret }` |
 * | `POST /reset` | | 204 |
 */
export function controlRequestHandler(
  control: EmulatorControl,
  info: () => Record<string, unknown>,
  faults: FaultInjector,
  webhooks: WebhookSender,
) {
  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const method = request.method ?? 'GET';
    const path = url.pathname.replace(/^\/_emulator/, '') || '/';
    const raw = await readBody(request);
    try {
      const result = await dispatch(method, path, raw);
      if (result === undefined) writeReply(response, { status: 204 });
      else writeReply(response, { status: 200, body: result });
    } catch (error) {
      if (error instanceof ControlError) {
        writeReply(response, {
          status: error.status,
          body: { error: { code: codeOf(error.status), message: error.message } },
        });
        return;
      }
      throw error;
    }
  };

  async function dispatch(method: string, path: string, raw: string): Promise<unknown> {
    const route = `${method} ${path}`;
    if (route === 'GET /') return info();
    if (route === 'POST /purchases') {
      const json = raw.trim() === '' ? {} : safeJson(raw);
      return control.purchase(json as PurchaseInput);
    }
    const subscriptionMatch = /^\/subscriptions\/([^/]+)(?:\/([a-z-]+))?$/.exec(path);
    if (subscriptionMatch) {
      const id = decodeURIComponent(subscriptionMatch[1] ?? '');
      const action = subscriptionMatch[2];
      if (method === 'GET' && action === undefined) {
        const view = control.subscription(id);
        if (!view) throw new ControlError(404, `no subscription ${id}`);
        return view;
      }
      if (method === 'GET' && action === 'operations') {
        if (!control.subscription(id)) throw new ControlError(404, `no subscription ${id}`);
        return { operations: control.operations(id) };
      }
      if (method === 'POST') {
        switch (action) {
          case 'landing-token':
            return control.landingToken(id);
          case 'change-plan':
            return control.changePlanFromPortal(id, parse(changePlanSchema, raw).planId);
          case 'change-quantity':
            return control.changeQuantityFromPortal(id, parse(changeQuantitySchema, raw).quantity);
          case 'suspend':
            return control.suspend(id);
          case 'reinstate':
            return control.reinstate(id);
          case 'renew':
            return control.renew(id);
          case 'unsubscribe':
            return control.unsubscribe(id);
          default:
            break;
        }
      }
    }
    switch (route) {
      case 'GET /clock':
        return { now: iso(control.now()) };
      case 'POST /clock': {
        const body = parse(clockSchema, raw);
        if ('time' in body) await control.setTime(body.time);
        else await control.advance(body.advanceMs);
        return { now: iso(control.now()) };
      }
      case 'PUT /webhook': {
        const { url } = parse(webhookSchema, raw);
        control.setWebhookUrl(url ?? undefined);
        return { url: webhooks.webhookUrl ?? null };
      }
      case 'PUT /landing-page': {
        const { url } = parse(landingPageSchema, raw);
        control.setLandingPageUrl(url);
        return { url };
      }
      case 'PUT /faults': {
        const body = parse(setFaultsSchema, raw);
        control.setFaults(body.rules, body.seed);
        return { rules: faults.current() };
      }
      case 'GET /faults':
        return { rules: faults.current() };
      case 'DELETE /faults':
        control.clearFaults();
        return { rules: [] };
      case 'GET /ledger':
        return { events: control.usageLedger() };
      case 'GET /webhook-deliveries':
        return { deliveries: control.webhookDeliveries() };
      case 'POST /applications':
        return control.registerApplication(parse(applicationSchema, raw));
      case 'POST /reset':
        control.reset();
        return undefined;
      default:
        throw new ControlError(404, `no control route ${route}`);
    }
  }
}

function safeJson(raw: string): unknown {
  try {
    const json: unknown = JSON.parse(raw);
    return isRecord(json) ? json : {};
  } catch {
    throw new ControlError(400, 'the body is not valid JSON');
  }
}

function codeOf(status: number): string {
  return status === 404 ? 'NotFound' : status === 409 ? 'Conflict' : 'BadRequest';
}
