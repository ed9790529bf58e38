import { TERM_UNITS, type TermUnit } from '#shared/domain/catalog.ts';
import { normalizeEntraId } from '#shared/domain/entra-ids.ts';
import {
  type Subscription,
  type SubscriptionStatus,
  type SubscriptionTerm,
  termProblemOf,
} from '#shared/domain/subscription.ts';
import type { MarketplaceSubscription } from '../ports/marketplace.ts';

/**
 * Our status for Microsoft's `saasSubscriptionStatus` (§1.3). `NotStarted` (OpenAPI only) and values Microsoft may
 * add later count as not yet activated: nothing becomes billable or entitled by accident.
 */
export function statusFromMarketplace(status: string): SubscriptionStatus {
  return status === 'Subscribed' || status === 'Suspended' || status === 'Unsubscribed'
    ? status
    : 'PendingFulfillmentStart';
}

/** Where a term Microsoft reported could not be used is told (a log line: bad data from Microsoft is worth a look). */
export interface TermLog {
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** What Microsoft's `term` (§1.3) gives us. */
export type MarketplaceTermReading =
  /** A complete term in a unit the catalog rates, whose end is after its start. */
  | { readonly kind: 'term'; readonly term: SubscriptionTerm }
  /** No term, or an incomplete one (§1.3: only meaningful while Subscribed or Suspended). */
  | { readonly kind: 'none' }
  /** A unit this system does not rate (`PAY`, `P4Y`, …): kept raw, never rated as another unit. */
  | { readonly kind: 'unrated'; readonly termUnit: string }
  /** Bad data (an end not after its start, a date that is not one): refused, never stored as the current term. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Reads Microsoft's `term` (§1.3) without judging what to do with it. */
export function readMarketplaceTerm(subscription: MarketplaceSubscription): MarketplaceTermReading {
  const term = subscription.term;
  if (!term?.startDate || !term.endDate || !term.termUnit) return { kind: 'none' };
  const problem = termProblemOf({ startDate: term.startDate, endDate: term.endDate });
  if (problem) return { kind: 'invalid', reason: problem };
  const unit = TERM_UNITS.find((candidate) => candidate === term.termUnit);
  if (!unit) return { kind: 'unrated', termUnit: term.termUnit };
  return { kind: 'term', term: { startDate: term.startDate, endDate: term.endDate, termUnit: unit as TermUnit } };
}

/**
 * The billing term as Microsoft reports it (§1.3 `term`), when it is complete, its unit is one the catalog rates
 * (P4Y/P5Y, added to the spec in 2025, and `PAY`, seen in 2026, are not) and its end is after its start. A term refused
 * as bad data is logged on `log`.
 */
export function termFromMarketplace(
  subscription: MarketplaceSubscription,
  log?: TermLog,
): SubscriptionTerm | undefined {
  const reading = readMarketplaceTerm(subscription);
  if (reading.kind === 'invalid') {
    log?.warn('Marketplace term refused as bad data; not stored as the current term', {
      subscriptionId: subscription.id,
      reason: reading.reason,
    });
  }
  return reading.kind === 'term' ? reading.term : undefined;
}

/**
 * A subscription as first stored from what Microsoft reports, with one timeline period from `at` (when we learnt of
 * it: the landing page or a webhook for a purchase we never saw). `overrides` carry what the caller knows better
 * (Resolve's `planId` and `quantity` for the purchase). A term in a unit we do not rate is kept raw in
 * `unratedTermUnit`; a term refused as bad data is left out and logged on `log`.
 */
export function subscriptionFromMarketplace(
  subscription: MarketplaceSubscription,
  at: Date,
  overrides: { readonly planId?: string; readonly quantity?: number } = {},
  log?: TermLog,
): Subscription {
  const status = statusFromMarketplace(subscription.saasSubscriptionStatus);
  const planId = overrides.planId ?? subscription.planId;
  const quantity = overrides.quantity ?? subscription.quantity;
  const term = termFromMarketplace(subscription, log);
  const reading = readMarketplaceTerm(subscription);
  const name = subscription.name?.trim();
  return {
    id: subscription.id,
    ...(name ? { name } : {}),
    offerId: subscription.offerId,
    planId,
    ...(quantity === undefined ? {} : { quantity }),
    status,
    ...(term ? { term } : {}),
    ...(reading.kind === 'unrated' ? { unratedTermUnit: reading.termUnit } : {}),
    isFreeTrial: subscription.isFreeTrial,
    beneficiary: party(subscription.beneficiary),
    purchaser: party(subscription.purchaser),
    timeline: [{ from: at.toISOString(), status, planId, ...(quantity === undefined ? {} : { quantity }) }],
  };
}

/** A party as stored: its tenant and object ids lower case, as access compares them to sign-ins (`entra-ids.ts`). */
function party(value: MarketplaceSubscription['beneficiary']): Subscription['beneficiary'] {
  return {
    tenantId: normalizeEntraId(value?.tenantId ?? ''),
    ...(value?.emailId ? { emailId: value.emailId } : {}),
    ...(value?.objectId ? { objectId: normalizeEntraId(value.objectId) } : {}),
  };
}
