import type { TermUnit } from '#shared/domain/catalog.ts';
import { parseMarketplaceInstant } from '#shared/domain/marketplace-time.ts';

/** SaaS subscription states of the Fulfillment API v2 (marketplace-api.md §1.3, §1.4). */
export type SubscriptionStatus = 'PendingFulfillmentStart' | 'Subscribed' | 'Suspended' | 'Unsubscribed';

export interface Party {
  readonly tenantId: string;
  readonly emailId?: string;
  readonly objectId?: string;
}

/** The marketplace's billing term (§1.3 `term`): `startDate` is the anniversary that included quantities reset on. */
export interface SubscriptionTerm {
  /** UTC date (`YYYY-MM-DD`) or instant the term started. */
  readonly startDate: string;
  /** Last valid day of the term, as Microsoft gives it; renewal happens the next day. */
  readonly endDate: string;
  readonly termUnit: TermUnit;
}

/**
 * Why a term cannot be the current term, or undefined when it can: its end must be after its start (issue 11 item 10,
 * "a term whose end is not after its start is refused as bad data"). Dates are read as UTC: `YYYY-MM-DD` as that day
 * at 00:00Z, an instant without a zone as UTC (Microsoft's instants may come without one, `marketplace-time.ts`).
 */
export function termProblemOf(term: Pick<SubscriptionTerm, 'startDate' | 'endDate'>): string | undefined {
  const start = termInstant(term.startDate);
  const end = termInstant(term.endDate);
  if (start === undefined) return `term startDate "${term.startDate}" is not a date`;
  if (end === undefined) return `term endDate "${term.endDate}" is not a date`;
  if (end.getTime() <= start.getTime()) {
    return `term endDate ${term.endDate} is not after its startDate ${term.startDate}`;
  }
  return undefined;
}

function termInstant(text: string): Date | undefined {
  return parseMarketplaceInstant(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
}

/**
 * One stretch of a subscription's life during which status, plan and quantity did not change. The timeline is what
 * lets metering answer "was it Subscribed in that hour, and on which plan?" for usage that arrives late
 * (DESIGN invariant 2: no usage reported for an hour in which it was not Subscribed; `planId` = the plan in force).
 */
export interface SubscriptionPeriod {
  /** ISO instant from which this period applies (until the next period's `from`). */
  readonly from: string;
  readonly status: SubscriptionStatus;
  readonly planId: string;
  readonly quantity?: number;
  /**
   * The fields the change at `from` set; the others carry on from the period before. Absent: all three (a full
   * period). Lets a change that arrives late be placed among later ones without overwriting what they set
   * (`shared/domain/subscription-lifecycle.ts`).
   */
  readonly sets?: readonly SubscriptionPeriodField[];
}

/** The fields of a period a change can set. */
export type SubscriptionPeriodField = 'status' | 'planId' | 'quantity';

/**
 * A marketplace SaaS subscription as this system keeps it. `id` is Microsoft's SaaS subscription id, which is
 * also the `resourceId` of metering events.
 */
export interface Subscription {
  readonly id: string;
  /**
   * The subscription's name in the marketplace (§1.3 `name`, the one the customer sees in its portal), as first
   * stored; alert texts name the subscription by it.
   */
  readonly name?: string;
  readonly offerId: string;
  /** The plan in force now (the last period's plan). */
  readonly planId: string;
  /** Seats of a per-user plan; absent for flat-rate plans. */
  readonly quantity?: number;
  /** The status now (the last period's status). */
  readonly status: SubscriptionStatus;
  readonly term?: SubscriptionTerm;
  /**
   * Microsoft's `term.termUnit` when it is not a unit this system rates (e.g. `PAY`, seen in 2026; `P4Y`), kept raw
   * as sent. `term` is then absent, and rating refuses the subscription (`planHistoryOf`) rather than rate it on a
   * term it does not have (never as if monthly).
   */
  readonly unratedTermUnit?: string;
  readonly isFreeTrial: boolean;
  /** Who uses the subscription (the customer). */
  readonly beneficiary: Party;
  /** Who bought it: differs from the beneficiary for reseller (CSP) purchases. */
  readonly purchaser: Party;
  /** The reseller partner this customer is linked to, if any (used by partner-scoped API keys). */
  readonly partnerId?: string;
  /**
   * Status, plan and quantity over time, oldest first. Absent on records written before it existed: then the
   * current status and plan are taken to have applied forever.
   */
  readonly timeline?: readonly SubscriptionPeriod[];
}

/**
 * The subscription's timeline, oldest first. THE "no timeline" rule, used by ingest, the reporter, the charges and the
 * entitlement alike: a record written before timelines existed is taken to have been in its current status, plan and
 * seats forever (one period from the epoch), so every reader answers "was it Subscribed, on which plan?" the same way.
 */
export function timelineOf(subscription: Subscription): readonly SubscriptionPeriod[] {
  const timeline = subscription.timeline;
  if (timeline && timeline.length > 0) return timeline;
  let synthetic = foreverPeriods.get(subscription);
  if (!synthetic) {
    synthetic = [
      {
        from: new Date(0).toISOString(),
        status: subscription.status,
        planId: subscription.planId,
        ...(subscription.quantity === undefined ? {} : { quantity: subscription.quantity }),
      },
    ];
    foreverPeriods.set(subscription, synthetic);
  }
  return synthetic;
}

/** The one-period timelines of records without one, built once per record (ingest asks for every event). */
const foreverPeriods = new WeakMap<Subscription, readonly SubscriptionPeriod[]>();

/** The status, plan and quantity in force at an instant; undefined before the subscription's first period. */
export function periodAt(subscription: Subscription, at: Date): SubscriptionPeriod | undefined {
  const timeline = timelineOf(subscription);
  const instant = at.getTime();
  const starts = periodStartsOf(timeline);
  let current: SubscriptionPeriod | undefined;
  for (const [index, period] of timeline.entries()) {
    if ((starts[index] as number) <= instant) current = period;
    else break;
  }
  return current;
}

/**
 * Whether the subscription was Subscribed at some instant of [from, to). An hour that was Subscribed for part of its
 * length stays reportable (Microsoft accepts usage of hours before a suspension or cancellation, marketplace-api.md
 * §4.3 "Status").
 */
export function wasSubscribedDuring(subscription: Subscription, from: Date, to: Date): boolean {
  const timeline = timelineOf(subscription);
  const starts = periodStartsOf(timeline);
  return timeline.some((period, index) => {
    if (period.status !== 'Subscribed') return false;
    const end = starts[index + 1] ?? Number.POSITIVE_INFINITY;
    return (starts[index] as number) < to.getTime() && end > from.getTime();
  });
}

/** Whether the subscription's life has ended (`Unsubscribed` is terminal, marketplace-api.md §1.4). */
export function hasEnded(subscription: Subscription): boolean {
  return timelineOf(subscription).at(-1)?.status === 'Unsubscribed';
}

/**
 * The timeline's start instants, parsed once per timeline: usage ingest asks `periodAt` for every event (1,000 per
 * request) of the same subscription. Timelines are not mutated in place (`withPeriod` builds a new one).
 */
const periodStarts = new WeakMap<readonly SubscriptionPeriod[], readonly number[]>();
function periodStartsOf(timeline: readonly SubscriptionPeriod[]): readonly number[] {
  let starts = periodStarts.get(timeline);
  // The length check keeps a wrongly mutated array from being read with stale starts.
  if (starts?.length !== timeline.length) {
    starts = timeline.map((period) => Date.parse(period.from));
    periodStarts.set(timeline, starts);
  }
  return starts;
}

/**
 * Whether the subscription was Subscribed at an instant. Usage stamped before a suspension or cancellation stays
 * acceptable after it (marketplace-api.md §4.3 "Status": hours before the cancellation remain reportable).
 */
export function isSubscribedAt(subscription: Subscription, at: Date): boolean {
  return periodAt(subscription, at)?.status === 'Subscribed';
}

/** Appends a period if it changes anything; periods stay in time order (a change dated earlier is inserted). */
export function withPeriod(subscription: Subscription, period: SubscriptionPeriod): Subscription {
  const timeline = [...(subscription.timeline ?? [])];
  const index = timeline.findIndex((existing) => Date.parse(existing.from) > Date.parse(period.from));
  if (index === -1) timeline.push(period);
  else timeline.splice(index, 0, period);
  const last = timeline[timeline.length - 1] as SubscriptionPeriod;
  return { ...subscription, timeline, status: last.status, planId: last.planId, quantity: last.quantity };
}
