/**
 * The rules a usage event must meet to be accepted at ingest, in the order they are checked.
 * Pure: no I/O, no clock (the instant is passed in).
 *
 * Rule sources: reference/marketplace-api.md §4.3 (one event per resource + dimension + UTC hour; Subscribed only;
 * 24 h window) and §6 items 7–9 (aggregate first; un-zoned timestamps shift hours; expired usage).
 */
import type { Catalog } from '#shared/domain/catalog.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { periodAt, type Subscription } from '#shared/domain/subscription.ts';
import { isTestSubscriptionId } from '#shared/domain/test-subscriptions.ts';
import { meteredDimensionsOf, utcHourOf } from './ingest-caches.ts';
import type { UsageEventInput, UsageEventVerdict, UsageRejectionReason } from './usage-event.ts';
import { parseQuantity } from './usage-quantity.ts';

/** How far ahead of our clock an event may be stamped: tolerates skewed clocks, refuses time-zone mistakes. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface UsageValidationContext {
  readonly now: Date;
  /** Oldest acceptable event age. */
  readonly maxLatenessMs: number;
  readonly catalog: Catalog;
  /** The subscription the event names; undefined when there is none. */
  readonly subscription: Subscription | undefined;
}

const reject = (reason: UsageRejectionReason, message: string): UsageEventVerdict => ({
  status: 'rejected',
  reason,
  message,
});

/**
 * Decides whether one event is accepted, checking in this order: quantity, timestamp (future, too old),
 * subscription known, Subscribed at the event's instant, dimension metered on the plan in force at that instant.
 * The first failed rule is the reason given.
 * @throws ValidationError only for a timestamp that is not an instant at all (the edge schema refuses those).
 */
export function validateUsageEvent(input: UsageEventInput, context: UsageValidationContext): UsageEventVerdict {
  const quantity = parseQuantity(input.quantity);
  if (!quantity.ok) return reject('invalidQuantity', quantity.message);

  const at = new Date(input.timestamp);
  const now = context.now.getTime();
  if (Number.isNaN(at.getTime())) {
    // The edge checks the format, so this is a caller's bug rather than a rejection a client could act on.
    throw new ValidationError(`timestamp "${input.timestamp}" is not an ISO 8601 instant`, 'timestamp');
  }
  if (at.getTime() > now + MAX_CLOCK_SKEW_MS) {
    return reject(
      'timestampInFuture',
      `timestamp ${input.timestamp} is ${describeDuration(at.getTime() - now)} ahead of the server clock ` +
        `(${context.now.toISOString()}); at most ${MAX_CLOCK_SKEW_MS / 60_000} minutes are allowed. ` +
        'Check the sending machine’s clock, and send UTC (`Z`) or an explicit offset.',
    );
  }
  if (at.getTime() < now - context.maxLatenessMs) {
    return reject(
      'timestampTooOld',
      `timestamp ${input.timestamp} is ${describeDuration(now - at.getTime())} old; usage older than ` +
        `${context.maxLatenessMs / 3_600_000} hours is refused (setting USAGE_MAX_LATENESS_HOURS). ` +
        'Send usage as it happens; Microsoft accepts metered usage only within 24 hours.',
    );
  }

  // The smoke check's test subscriptions (test-subscriptions.ts) never have usage: nothing of theirs is counted, so
  // nothing of theirs can ever be reported to Microsoft.
  const subscription = isTestSubscriptionId(input.subscriptionId) ? undefined : context.subscription;
  if (!subscription) {
    return reject(
      'unknownSubscription',
      `no subscription with id ${input.subscriptionId}: send the SaaS subscription id from the landing page ` +
        '(Resolve), not the Azure subscription id or the tenant id.',
    );
  }
  const period = periodAt(subscription, at);
  if (period?.status !== 'Subscribed') {
    return reject(
      'notSubscribed',
      period
        ? `subscription ${subscription.id} was ${period.status} at ${input.timestamp}; usage is accepted only for ` +
            'times when it was Subscribed (activated and not suspended or cancelled).'
        : `subscription ${subscription.id} did not exist yet at ${input.timestamp}; usage is accepted only for ` +
            'times when it was Subscribed.',
    );
  }

  let dimensionIds: ReadonlySet<string>;
  try {
    dimensionIds = meteredDimensionsOf(context.catalog, subscription.offerId, period.planId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return reject(
      'unknownDimension',
      `plan "${period.planId}" of offer "${subscription.offerId}" (in force at ${input.timestamp}) is not in the ` +
        'plan catalog, so no dimension can be checked: ask the operator to add it to the catalog.',
    );
  }
  if (!dimensionIds.has(input.dimension)) {
    const valid =
      dimensionIds.size === 0
        ? 'the plan has no metered dimensions'
        : `valid dimensions: ${[...dimensionIds].map((id) => `"${id}"`).join(', ')}`;
    return reject(
      'unknownDimension',
      `dimension "${input.dimension}" is not metered on plan "${period.planId}" (in force at ${input.timestamp}); ` +
        `${valid} (ids are case-sensitive).`,
    );
  }

  return {
    status: 'accepted',
    event: {
      subscriptionId: subscription.id,
      offerId: subscription.offerId,
      dimension: input.dimension,
      hour: utcHourOf(at),
      quantity: quantity.value,
      ...(input.id === undefined ? {} : { id: input.id }),
    },
  };
}

function describeDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
}
