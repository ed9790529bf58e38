/**
 * The emulator's in-memory state: subscriptions with their status and plan history, landing-page tokens,
 * operations, the accepted usage ledger and the webhook delivery log, plus the JSON views Microsoft returns.
 */
import type { TermUnit } from '#shared/domain/catalog.ts';

/** Status strings exactly as the Fulfillment API spells them (reference §1.3). */
export type SaasSubscriptionStatus = 'PendingFulfillmentStart' | 'Subscribed' | 'Suspended' | 'Unsubscribed';
/**
 * `action` of operations and webhooks (reference §1.2 Operations APIs, §2.2), plus `Subscribe`: the webhook of a
 * purchase of an auto-activated plan (marketplace-2026.md, GA 2026-05).
 */
export type OperationAction =
  | 'Subscribe'
  | 'Unsubscribe'
  | 'ChangePlan'
  | 'ChangeQuantity'
  | 'Suspend'
  | 'Reinstate'
  | 'Renew';
/** `status` of operations (reference §1.2). */
export type OperationStatus = 'NotStarted' | 'InProgress' | 'Succeeded' | 'Failed' | 'Conflict';
/** `operationRequestSource` of webhooks: the customer in the portal (`Azure`) or the publisher's API call (§2.2). */
export type OperationSource = 'Azure' | 'Partner';
export type CustomerOperation = 'Read' | 'Update' | 'Delete';

export interface Party {
  readonly emailId: string;
  readonly objectId: string;
  readonly tenantId: string;
  readonly puid: string;
}

export interface SubscriptionRecord {
  readonly id: string;
  name: string;
  readonly publisherId: string;
  readonly offerId: string;
  planId: string;
  /** Seats; undefined for flat-rate plans (§1.3: "empty/null for flat-rate plans"). */
  quantity: number | undefined;
  status: SaasSubscriptionStatus;
  readonly beneficiary: Party;
  readonly purchaser: Party;
  termUnit: TermUnit;
  /** How the term's price is charged: `P1M` for monthly billing, the term itself when paid up front. */
  chargeDuration: string;
  /** Set on activation (§1.3: startDate = activation/billing start). */
  startDate: Date | undefined;
  /** Last valid day of the term; renewal happens the next day (§1.3). */
  endDate: Date | undefined;
  autoRenew: boolean;
  isFreeTrial: boolean;
  readonly allowedCustomerOperations: CustomerOperation[];
  readonly sessionMode: 'None' | 'DryRun';
  readonly sandboxType: 'None' | 'Csp';
  readonly market: string;
  readonly currency: string;
  readonly created: Date;
  lastModified: Date;
  /** Every status change with its instant: metering asks whether the subscription was Subscribed in an hour (§4.3). */
  readonly statusHistory: { status: SaasSubscriptionStatus; at: Date }[];
  /** Every plan change with its instant: the plan in force during an hour decides the valid dimensions (§4.4). */
  readonly planHistory: { planId: string; at: Date }[];
  /**
   * When the marketplace deleted it: a purchase still PendingFulfillmentStart 30 days after it was made is deleted
   * (marketplace-2026.md, 2026-07-31). A deleted subscription is gone from the Fulfillment API; only the control API
   * still shows it.
   */
  deletedAt?: Date;
}

export interface OperationRecord {
  readonly id: string;
  readonly activityId: string;
  readonly subscriptionId: string;
  readonly offerId: string;
  readonly publisherId: string;
  /** For ChangePlan the new plan, otherwise the plan at the time of the operation (§2.2). */
  readonly planId: string;
  /** For ChangeQuantity the new quantity, otherwise the quantity at the time of the operation (§2.2). */
  readonly quantity: number | undefined;
  readonly action: OperationAction;
  readonly timeStamp: Date;
  status: OperationStatus;
  errorStatusCode: string | undefined;
  errorMessage: string | undefined;
  readonly source: OperationSource;
  completedAt: Date | undefined;
  /**
   * What the publisher did wrong on this operation, as Microsoft's reference emulator records it: a PATCH that arrived
   * while the operation's webhook call had not returned yet (reference/marketplace-2026.md). Emulator-only; shown by
   * the control API's operation views, never by Get Operation. Optional so operations made elsewhere need not set it.
   */
  errors?: { readonly at: string; readonly message: string }[];
  /** PATCHes received for this operation, 409s included (emulator-only, for tests counting the publisher's calls). */
  patchCount?: number;
}

/** An accepted usage event as the Metering API returns it (§4.1, 200 single-event response). */
export interface AcceptedUsageEvent {
  readonly usageEventId: string;
  readonly status: 'Accepted';
  readonly messageTime: string;
  readonly resourceId: string;
  readonly quantity: number;
  readonly dimension: string;
  readonly effectiveStartTime: string;
  readonly planId: string;
}

/** One webhook POST attempt and what the publisher answered. */
export interface WebhookDelivery {
  readonly operationId: string;
  readonly action: OperationAction;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Emulator-clock instant of the attempt. */
  readonly at: string;
  readonly url: string;
  readonly payload: Record<string, unknown>;
  /** The bearer JWT sent in `Authorization`. */
  readonly token: string;
  /** HTTP status answered; undefined when the call failed or timed out (see `error`). */
  readonly status: number | undefined;
  readonly error: string | undefined;
}

export interface LandingToken {
  readonly subscriptionId: string;
  readonly expiresAt: Date;
}

export class EmulatorState {
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  /** Subscriptions the marketplace deleted (never configured within 30 days), kept for inspection only. */
  readonly deletedSubscriptions = new Map<string, SubscriptionRecord>();
  readonly landingTokens = new Map<string, LandingToken>();
  readonly operations = new Map<string, OperationRecord>();
  /** Accepted usage events, in acceptance order. */
  readonly ledger: AcceptedUsageEvent[] = [];
  /** resourceId + dimension + UTC hour → the accepted event (§4.3: one event per slot). */
  readonly ledgerBySlot = new Map<string, AcceptedUsageEvent>();
  readonly deliveries: WebhookDelivery[] = [];
  /** Operation id → webhook calls for it still waiting for the publisher's answer. */
  readonly webhooksInFlight = new Map<string, number>();

  clear(): void {
    this.subscriptions.clear();
    this.deletedSubscriptions.clear();
    this.landingTokens.clear();
    this.operations.clear();
    this.ledger.length = 0;
    this.ledgerBySlot.clear();
    this.deliveries.length = 0;
    this.webhooksInFlight.clear();
  }

  operationsOf(subscriptionId: string): OperationRecord[] {
    return [...this.operations.values()].filter((operation) => operation.subscriptionId === subscriptionId);
  }

  /** The operation of this subscription still running, if any: it locks the subscription (§1.2, observed). */
  pendingOperation(subscriptionId: string): OperationRecord | undefined {
    return this.operationsOf(subscriptionId).find(
      (operation) => operation.status === 'InProgress' || operation.status === 'NotStarted',
    );
  }
}

export function setStatus(subscription: SubscriptionRecord, status: SaasSubscriptionStatus, at: Date): void {
  if (subscription.status === status) return;
  subscription.status = status;
  subscription.lastModified = at;
  subscription.statusHistory.push({ status, at });
}

export function setPlan(subscription: SubscriptionRecord, planId: string, at: Date): void {
  if (subscription.planId === planId) return;
  subscription.planId = planId;
  subscription.lastModified = at;
  subscription.planHistory.push({ planId, at });
}

/** Whether the subscription was `Subscribed` at any instant of [from, to) (§4.3 status rule and its exception). */
export function wasSubscribedDuring(subscription: SubscriptionRecord, from: Date, to: Date): boolean {
  const history = subscription.statusHistory;
  for (let index = 0; index < history.length; index += 1) {
    const entry = history[index];
    if (entry?.status !== 'Subscribed') continue;
    const start = entry.at.getTime();
    const end = history[index + 1]?.at.getTime() ?? Number.POSITIVE_INFINITY;
    if (start < to.getTime() && end > from.getTime()) return true;
  }
  return false;
}

/** The plans in force at some instant of [from, to). */
export function plansDuring(subscription: SubscriptionRecord, from: Date, to: Date): string[] {
  const history = subscription.planHistory;
  const plans: string[] = [];
  for (let index = 0; index < history.length; index += 1) {
    const entry = history[index];
    if (!entry) continue;
    const start = entry.at.getTime();
    const end = history[index + 1]?.at.getTime() ?? Number.POSITIVE_INFINITY;
    if (start < to.getTime() && end > from.getTime()) plans.push(entry.planId);
  }
  return plans;
}

/** Microsoft's date-time format: ISO 8601 UTC with `Z`. */
export function iso(date: Date): string {
  return date.toISOString();
}

/** The Subscription object of §1.3 (Get / List / Resolve.subscription / webhook.subscription). */
export function subscriptionJson(subscription: SubscriptionRecord): Record<string, unknown> {
  return {
    id: subscription.id,
    publisherId: subscription.publisherId,
    offerId: subscription.offerId,
    name: subscription.name,
    saasSubscriptionStatus: subscription.status,
    beneficiary: { ...subscription.beneficiary },
    purchaser: { ...subscription.purchaser },
    planId: subscription.planId,
    ...(subscription.quantity === undefined ? {} : { quantity: subscription.quantity }),
    term: {
      termUnit: subscription.termUnit,
      chargeDuration: subscription.chargeDuration,
      // §1.3: the dates are only meaningful once activated; before that Microsoft leaves them out.
      ...(subscription.startDate === undefined ? {} : { startDate: iso(subscription.startDate) }),
      ...(subscription.endDate === undefined ? {} : { endDate: iso(subscription.endDate) }),
    },
    autoRenew: subscription.autoRenew,
    isTest: false,
    isFreeTrial: subscription.isFreeTrial,
    allowedCustomerOperations: [...subscription.allowedCustomerOperations],
    sandboxType: subscription.sandboxType,
    sessionMode: subscription.sessionMode,
    created: iso(subscription.created),
    lastModified: iso(subscription.lastModified),
  };
}

/** The SaaSOperation object of §1.2 (Get operation / List outstanding operations). */
export function operationJson(operation: OperationRecord): Record<string, unknown> {
  return {
    id: operation.id,
    activityId: operation.activityId,
    subscriptionId: operation.subscriptionId,
    offerId: operation.offerId,
    publisherId: operation.publisherId,
    planId: operation.planId,
    ...(operation.quantity === undefined ? {} : { quantity: operation.quantity }),
    action: operation.action,
    timeStamp: iso(operation.timeStamp),
    status: operation.status,
    ...(operation.errorStatusCode === undefined ? {} : { errorStatusCode: operation.errorStatusCode }),
    ...(operation.errorMessage === undefined ? {} : { errorMessage: operation.errorMessage }),
  };
}
