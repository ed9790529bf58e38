/**
 * Operations (reference §1.2 "Operations APIs", §1.4 lifecycle, §2.1): who starts them, how they end, what the
 * publisher's PATCH does, and the three operation routes.
 *
 * - Publisher-initiated (`Partner`) ChangePlan / ChangeQuantity / Unsubscribe (PATCH or DELETE on the subscription):
 *   202 at once, the operation stays InProgress for `operationDelayMs` of emulator time (default 3 s), then succeeds,
 *   the change is applied and a webhook with status Succeeded and `operationRequestSource: "Partner"` is sent
 *   (§1.2: "Microsoft also sends the webhook for the change").
 * - Customer-initiated (`Azure`) ChangePlan / ChangeQuantity: webhook InProgress; the subscription keeps its old plan
 *   (§2.2: "subscription.planId still shows the old one") until the publisher PATCHes Success or 10 s of emulator time
 *   pass (auto-accept, §0, §2.1); a PATCH Failure (or a 4xx answer to the webhook) fails it and nothing changes.
 * - Reinstate: webhook InProgress; PATCH Success → Subscribed; PATCH Failure leaves it Suspended (§1.4). No
 *   auto-accept is documented for it, so it waits for the PATCH.
 * - Suspend, Renew, Unsubscribe from the Microsoft side: applied at once, inform-only webhook with Succeeded (§2.2).
 *   A suspended subscription is unsubscribed after the 30-day grace period (§1.4); a term renews the day after its
 *   endDate, or the subscription is cancelled then when autoRenew is off (§1.3, §1.4).
 * - Subscribe (auto-activated plans, marketplace-2026.md 2026-05): the purchase is Subscribed at once; the operation
 *   is Succeeded from the start and an inform-only webhook announces it (there is nothing to accept).
 * - A purchase left PendingFulfillmentStart for 30 days is deleted by the marketplace (marketplace-2026.md,
 *   2026-07-31): gone from Get / List Subscriptions, kept for the control API with `deletedAt`.
 * - While an operation is InProgress the subscription is locked (§1.2, observed "subscription is locked due to
 *   pending operations").
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Catalog } from '#shared/domain/catalog.ts';
import type { EmulatorClock } from './clock.ts';
import { badRequest, ControlError, conflict, notFound } from './errors.ts';
import { parseJson } from './http.ts';
import { findOffer, findPlan, nextTermStart, seatLimits, termFrom } from './plans.ts';
import type { EmulatorCore, Route } from './router.ts';
import {
  type EmulatorState,
  type OperationAction,
  type OperationRecord,
  type OperationSource,
  operationJson,
  type SubscriptionRecord,
  setPlan,
  setStatus,
} from './state.ts';
import type { WebhookSender } from './webhooks.ts';

/** What Microsoft's reference emulator records on an operation PATCHed before its webhook call returned. */
export const EARLY_PATCH_ERROR = 'attempt to patch the status of the operation before the request returned';

/** §0: "PATCH the operation within 10 s, otherwise it is auto-accepted as Success". */
export const AUTO_ACCEPT_MS = 10_000;
/** §1.4: "Microsoft gives a 30-day grace period, then sends Unsubscribe". */
const SUSPENSION_GRACE_MS = 30 * 24 * 3600_000;
/** marketplace-2026.md (2026-07-31): a purchase not configured within 30 days is deleted automatically. */
export const FULFILLMENT_DEADLINE_MS = 30 * 24 * 3600_000;

export interface OperationEngineDeps {
  readonly state: EmulatorState;
  readonly clock: EmulatorClock;
  readonly catalog: Catalog;
  readonly webhooks: WebhookSender;
  readonly publisherId: string;
  readonly operationDelayMs: number;
  /** Observed behaviour (§6.4, I-ACC-348): a PATCH Failure of a portal change is ignored and the change goes through. */
  readonly ignorePatchFailure: boolean;
}

export class OperationEngine {
  constructor(private readonly deps: OperationEngineDeps) {}

  private create(
    subscription: SubscriptionRecord,
    action: OperationAction,
    source: OperationSource,
    target: { planId?: string; quantity?: number } = {},
  ): OperationRecord {
    const operation: OperationRecord = {
      id: randomUUID(),
      activityId: randomUUID(),
      subscriptionId: subscription.id,
      offerId: subscription.offerId,
      publisherId: this.deps.publisherId,
      planId: target.planId ?? subscription.planId,
      quantity: target.quantity ?? subscription.quantity,
      action,
      timeStamp: this.deps.clock.now(),
      status: 'InProgress',
      errorStatusCode: undefined,
      errorMessage: undefined,
      source,
      completedAt: undefined,
    };
    this.deps.state.operations.set(operation.id, operation);
    return operation;
  }

  private subscriptionOf(operation: OperationRecord): SubscriptionRecord {
    const subscription = this.deps.state.subscriptions.get(operation.subscriptionId);
    if (!subscription) throw new Error(`operation ${operation.id} has no subscription`);
    return subscription;
  }

  /** Applies the operation's effect and marks it Succeeded. */
  private succeed(operation: OperationRecord): void {
    const subscription = this.subscriptionOf(operation);
    const now = this.deps.clock.now();
    switch (operation.action) {
      case 'ChangePlan': {
        const plan = findPlan(findOffer(this.deps.catalog, subscription.offerId), operation.planId);
        setPlan(subscription, operation.planId, now);
        // Seats only mean something on a per-user plan: keep them within the new plan's limits.
        if (plan?.pricingModel === 'perUser') {
          const { min, max } = seatLimits(plan);
          subscription.quantity = Math.min(Math.max(subscription.quantity ?? min, min), max);
        } else {
          subscription.quantity = undefined;
        }
        break;
      }
      case 'ChangeQuantity':
        subscription.quantity = operation.quantity;
        subscription.lastModified = now;
        break;
      case 'Unsubscribe':
        this.cancel(subscription, operation);
        break;
      case 'Reinstate':
        setStatus(subscription, 'Subscribed', now);
        break;
      default:
        break;
    }
    operation.status = 'Succeeded';
    operation.completedAt = now;
  }

  private fail(operation: OperationRecord, code: string, message: string): void {
    operation.status = 'Failed';
    operation.errorStatusCode = code;
    operation.errorMessage = message;
    operation.completedAt = this.deps.clock.now();
  }

  private cancel(subscription: SubscriptionRecord, by: OperationRecord): void {
    setStatus(subscription, 'Unsubscribed', this.deps.clock.now());
    for (const other of this.deps.state.operationsOf(subscription.id)) {
      if (other !== by && other.status === 'InProgress') {
        this.fail(other, 'SubscriptionUnsubscribed', 'The subscription was cancelled.');
      }
    }
  }

  /** Publisher-initiated change or cancellation (§1.2 rows 6–8): completes after `operationDelayMs`. */
  startPartnerOperation(
    subscription: SubscriptionRecord,
    action: 'ChangePlan' | 'ChangeQuantity' | 'Unsubscribe',
    target: { planId?: string; quantity?: number } = {},
  ): OperationRecord {
    const operation = this.create(subscription, action, 'Partner', target);
    this.deps.clock.schedule(operation.timeStamp.getTime() + this.deps.operationDelayMs, async () => {
      if (operation.status !== 'InProgress') return;
      this.succeed(operation);
      await this.deps.webhooks.send(operation, subscription);
    });
    return operation;
  }

  /**
   * A purchase of an auto-activated plan, already Subscribed: records the `Subscribe` operation (Succeeded, time
   * stamped at the purchase), schedules the renewal and sends the inform-only webhook.
   */
  async autoActivate(subscription: SubscriptionRecord): Promise<OperationRecord> {
    const operation = this.create(subscription, 'Subscribe', 'Azure');
    this.succeed(operation);
    this.scheduleRenewal(subscription);
    await this.deps.webhooks.send(operation, subscription);
    return operation;
  }

  /**
   * Deletes the purchase 30 days after it was made if it is still PendingFulfillmentStart then (never resolved and
   * activated): Get Subscription answers 404 and List Subscriptions leaves it out from then on.
   */
  scheduleFulfillmentDeadline(subscription: SubscriptionRecord): void {
    this.deps.clock.schedule(subscription.created.getTime() + FULFILLMENT_DEADLINE_MS, () => {
      const { state } = this.deps;
      if (
        subscription.status !== 'PendingFulfillmentStart' ||
        state.subscriptions.get(subscription.id) !== subscription
      ) {
        return;
      }
      const now = this.deps.clock.now();
      subscription.deletedAt = now;
      subscription.lastModified = now;
      state.subscriptions.delete(subscription.id);
      state.deletedSubscriptions.set(subscription.id, subscription);
    });
  }

  /** The customer changes plan or seats in the portal / admin center (§2.1, §2.4). */
  async portalChange(
    subscription: SubscriptionRecord,
    target: { planId: string } | { quantity: number },
  ): Promise<OperationRecord> {
    this.requireStatus(subscription, ['Subscribed'], 'change');
    this.requireUnlocked(subscription);
    const action = 'planId' in target ? 'ChangePlan' : 'ChangeQuantity';
    const operation = this.create(subscription, action, 'Azure', target);
    this.deps.clock.schedule(operation.timeStamp.getTime() + AUTO_ACCEPT_MS, () => {
      if (operation.status === 'InProgress') this.succeed(operation);
    });
    await this.deps.webhooks.send(operation, subscription);
    return operation;
  }

  /** Payment failed (§1.4): only active subscriptions can be suspended; inform-only webhook. */
  async suspend(subscription: SubscriptionRecord): Promise<OperationRecord> {
    this.requireStatus(subscription, ['Subscribed'], 'suspend');
    setStatus(subscription, 'Suspended', this.deps.clock.now());
    const operation = this.create(subscription, 'Suspend', 'Azure');
    this.succeed(operation);
    const suspendedAt = subscription.statusHistory.length;
    this.deps.clock.schedule(this.deps.clock.nowMs() + SUSPENSION_GRACE_MS, async () => {
      if (subscription.status === 'Suspended' && subscription.statusHistory.length === suspendedAt) {
        await this.unsubscribe(subscription, 'Azure');
      }
    });
    await this.deps.webhooks.send(operation, subscription);
    return operation;
  }

  /** Payment fixed (§1.4): from Suspended only; webhook InProgress, completed by the publisher's PATCH. */
  async reinstate(subscription: SubscriptionRecord): Promise<OperationRecord> {
    this.requireStatus(subscription, ['Suspended'], 'reinstate');
    this.requireUnlocked(subscription);
    const operation = this.create(subscription, 'Reinstate', 'Azure');
    await this.deps.webhooks.send(operation, subscription);
    return operation;
  }

  /**
   * Term renewal (§1.4): the term moves to the next anniversary of its unit and an inform-only webhook is sent; with
   * autoRenew off the subscription is cancelled instead.
   */
  async renew(subscription: SubscriptionRecord): Promise<OperationRecord> {
    this.requireStatus(subscription, ['Subscribed'], 'renew');
    if (!subscription.autoRenew) return this.unsubscribe(subscription, 'Azure');
    const now = this.deps.clock.now();
    const term = termFrom(nextTermStart(subscription.endDate ?? now), subscription.termUnit);
    subscription.startDate = term.startDate;
    subscription.endDate = term.endDate;
    subscription.lastModified = now;
    const operation = this.create(subscription, 'Renew', 'Azure');
    this.succeed(operation);
    this.scheduleRenewal(subscription);
    await this.deps.webhooks.send(operation, subscription);
    return operation;
  }

  /** The customer cancels (§1.4 Unsubscribed: terminal); inform-only webhook. */
  async unsubscribe(subscription: SubscriptionRecord, source: OperationSource): Promise<OperationRecord> {
    if (subscription.status === 'Unsubscribed') {
      throw new ControlError(409, `subscription ${subscription.id} is already Unsubscribed`);
    }
    const operation = this.create(subscription, 'Unsubscribe', source);
    this.succeed(operation);
    await this.deps.webhooks.send(operation, subscription);
    return operation;
  }

  /** Renews automatically the day after `endDate` (§1.3), unless something changed the term meanwhile. */
  scheduleRenewal(subscription: SubscriptionRecord): void {
    const endDate = subscription.endDate;
    if (!endDate) return;
    this.deps.clock.schedule(nextTermStart(endDate), async () => {
      if (subscription.status === 'Subscribed' && subscription.endDate?.getTime() === endDate.getTime()) {
        await this.renew(subscription);
      }
    });
  }

  /**
   * The publisher's PATCH (§1.2 row 11, §2.1). 409 once the operation is no longer InProgress ("a newer update was
   * already fulfilled", auto-accepted, completed). A Partner operation still running is completed or failed by it
   * (the live API was observed to answer 500 there; the emulator accepts it) and sends no webhook then.
   */
  patch(operation: OperationRecord, status: 'Success' | 'Failure'): void {
    operation.patchCount = (operation.patchCount ?? 0) + 1;
    if (this.deps.state.webhooksInFlight.has(operation.id)) {
      // Microsoft's reference emulator: answer the webhook call first, then PATCH (reference/marketplace-2026.md).
      // Recorded, and the PATCH still processed, so the publisher sees the error where it looks at the operation.
      operation.errors = [
        ...(operation.errors ?? []),
        { at: this.deps.clock.now().toISOString(), message: EARLY_PATCH_ERROR },
      ];
    }
    if (operation.status !== 'InProgress') {
      throw conflict(`Operation ${operation.id} is already completed with status ${operation.status}.`);
    }
    if (status === 'Success') {
      this.succeed(operation);
      return;
    }
    const portalChange =
      operation.source === 'Azure' && (operation.action === 'ChangePlan' || operation.action === 'ChangeQuantity');
    if (portalChange && this.deps.ignorePatchFailure) {
      this.succeed(operation);
      return;
    }
    this.fail(operation, 'PublisherRejected', 'The publisher reported a failure for this operation.');
  }

  /** The publisher answered the InProgress webhook with a 4xx (§2.1: reject "or respond 4xx, within 10 s"). */
  rejectFromWebhook(operationId: string, httpStatus: number): void {
    const operation = this.deps.state.operations.get(operationId);
    if (operation?.status !== 'InProgress') return;
    if (this.deps.ignorePatchFailure) return;
    this.fail(operation, String(httpStatus), `The publisher's webhook answered HTTP ${httpStatus}.`);
  }

  private requireStatus(subscription: SubscriptionRecord, allowed: readonly string[], what: string): void {
    if (!allowed.includes(subscription.status)) {
      throw new ControlError(
        409,
        `cannot ${what} subscription ${subscription.id}: it is ${subscription.status} (needs ${allowed.join(' or ')})`,
      );
    }
  }

  private requireUnlocked(subscription: SubscriptionRecord): void {
    const pending = this.deps.state.pendingOperation(subscription.id);
    if (pending) {
      throw new ControlError(
        409,
        `subscription ${subscription.id} is locked by pending operation ${pending.id} (${pending.action})`,
      );
    }
  }
}

const patchOperationBody = z.looseObject({ status: z.string().trim() });

/** The operation routes of §1.2 (rows 9–11). */
export function operationRoutes(core: EmulatorCore): Route[] {
  const subscriptionOf = (id: string | undefined) => {
    const subscription = id === undefined ? undefined : core.state.subscriptions.get(id);
    if (!subscription) throw notFound(`Subscription ${id ?? ''} not found.`);
    return subscription;
  };
  const operationOf = (subscriptionId: string | undefined, operationId: string | undefined) => {
    const subscription = subscriptionOf(subscriptionId);
    const operation = operationId === undefined ? undefined : core.state.operations.get(operationId);
    // §1.2: 404 "subscription or operation not found" (the live API was observed to answer 400 here).
    if (!operation || operation.subscriptionId !== subscription.id) {
      throw notFound(`Operation ${operationId ?? ''} not found.`);
    }
    return operation;
  };
  return [
    {
      name: 'listOperations',
      group: 'operations',
      method: 'GET',
      pattern: /^\/saas\/subscriptions\/(?<subscriptionId>[^/]+)\/operations$/,
      handle({ params }) {
        const subscription = subscriptionOf(params.subscriptionId);
        // §1.2: only pending operations; "empty JSON if there are none".
        const pending = core.state
          .operationsOf(subscription.id)
          .filter((operation) => operation.status === 'InProgress' || operation.status === 'NotStarted');
        return { status: 200, body: pending.length === 0 ? {} : { operations: pending.map(operationJson) } };
      },
    },
    {
      name: 'getOperation',
      group: 'operations',
      method: 'GET',
      pattern: /^\/saas\/subscriptions\/(?<subscriptionId>[^/]+)\/operations\/(?<operationId>[^/]+)$/,
      handle({ params }) {
        return { status: 200, body: operationJson(operationOf(params.subscriptionId, params.operationId)) };
      },
    },
    {
      name: 'updateOperation',
      group: 'operations',
      method: 'PATCH',
      pattern: /^\/saas\/subscriptions\/(?<subscriptionId>[^/]+)\/operations\/(?<operationId>[^/]+)$/,
      handle({ params, rawBody }) {
        const operation = operationOf(params.subscriptionId, params.operationId);
        const body = patchOperationBody.safeParse(parseJson(rawBody, () => badRequest('The body is not valid JSON.')));
        // §1.2: `Success | Failure` (not Succeeded/Failed). The live API was observed not to check; the documented 400 is kept.
        const status = body.success ? body.data.status : undefined;
        if (status !== 'Success' && status !== 'Failure') {
          throw badRequest('The body must be {"status": "Success"} or {"status": "Failure"}.');
        }
        core.operations.patch(operation, status);
        return { status: 200 };
      },
    },
  ];
}
