/**
 * The hourly subscription sync: what List Subscriptions says, applied once; purchases nearing Microsoft's 30-day
 * deadline warned about; purchases Microsoft deleted recorded as gone. (Over 400 lines: one pass over Microsoft's
 * list with its three outcomes; a split is a known follow-up.)
 */
import type { Catalog } from '#shared/domain/catalog.ts';
import { parseMarketplaceInstant } from '#shared/domain/marketplace-time.ts';
import type { Subscription, SubscriptionStatus, SubscriptionTerm } from '#shared/domain/subscription.ts';
import { applyChange, type SubscriptionChange, withRenewedTerm } from '#shared/domain/subscription-lifecycle.ts';
import type { AuditLog } from '../ports/audit-log.ts';
import type { Marketplace, MarketplaceSubscription } from '../ports/marketplace.ts';
import { MarketplaceNotFoundError } from '../ports/marketplace-errors.ts';
import type { OperationsNotifier } from '../ports/operations-notifier.ts';
import type { StoredSubscription } from '../ports/subscription-store.ts';
import { ACTIVATION_OPERATION_ID } from './activate-purchase.ts';
import {
  type ApplySubscriptionChangeDeps,
  applySubscriptionChange,
  type ComputedChange,
  publishPendingEvent,
} from './apply-subscription-change.ts';
import {
  statusFromMarketplace,
  subscriptionFromMarketplace,
  type TermLog,
  termFromMarketplace,
} from './marketplace-subscription.ts';
import type { LifecycleEventType } from './ports/lifecycle-publisher.ts';

export interface SyncLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface SyncSubscriptionsDeps extends ApplySubscriptionChangeDeps {
  /** Wrap it in `AuditingMarketplace`: the Get Subscription calls of the sync land in the audit trail. */
  readonly marketplace: Marketplace;
  /** The offers this deployment serves: List Subscriptions returns every offer of the publisher (§1.2 #3). */
  readonly catalog: Catalog;
  readonly logger: SyncLogger;
  /** A purchase still PendingFulfillmentStart this long after it was made is reported (`PendingPurchaseNotOpened`). */
  readonly pendingPurchaseAlertMinutes: number;
  /** Subscriptions reconciled at once (default 8). */
  readonly concurrency?: number;
  /** Told at day 28 of a purchase still PendingFulfillmentStart; absent: only the lifecycle topic is told. */
  readonly operations?: OperationsNotifier;
  /** Where a purchase found deleted unfulfilled is recorded; absent: only its operation record says so. */
  readonly audit?: Pick<AuditLog, 'record'>;
}

export interface SyncSummary {
  /** Subscriptions of our offers listed by Microsoft. */
  readonly listed: number;
  /** Listed but of offers this deployment does not serve: left alone. */
  readonly otherOffers: number;
  /** Stored now because we had never seen them. */
  readonly created: number;
  /** `PendingPurchaseNotOpened` events published by this run. */
  readonly pendingReported: number;
  /** `PendingPurchaseExpiring` events published by this run (days 7, 21, 28 of an unactivated purchase). */
  readonly expiringReported: number;
  /** Stored purchases never activated that Microsoft has deleted (day 30), recorded as gone by this run. */
  readonly expiredRecorded: number;
  /** Changes applied to stored subscriptions (each with its lifecycle event). */
  readonly changesApplied: number;
  /** Subscriptions that failed (logged; the next run tries again). */
  readonly failed: number;
  /** True when `stopAt` came before the last page was done. */
  readonly stoppedEarly: boolean;
}

/** The operation id of the pending-purchase notice: one per subscription, so it is sent once. */
export const PENDING_PURCHASE_NOTICE_ID = 'pending-purchase-notice';
/**
 * Microsoft deletes a purchase not activated within this many days (reference/marketplace-2026.md, 2026-07-31;
 * marketplace-api.md: "the publisher has 30 days to resolve a PendingFulfillmentStart subscription").
 */
export const PENDING_PURCHASE_DEADLINE_DAYS = 30;
/** Days after the purchase at which `PendingPurchaseExpiring` is raised; the last one also tells the operations topic. */
export const PENDING_PURCHASE_WARNING_DAYS = [7, 21, 28] as const;
/** The operation id claiming a deadline warning (one per subscription and day), e.g. `pending-purchase-expiring-7`. */
export const expiringNoticeId = (day: number) => `pending-purchase-expiring-${day}`;
/** The operation id of the operations-topic notice of day 28. */
export const EXPIRING_OPERATIONS_NOTICE_ID = 'pending-purchase-expiring-operations';
/** The operation id of recording a purchase Microsoft deleted unfulfilled. */
export const PENDING_PURCHASE_EXPIRED_ID = 'pending-purchase-expired';
const DAY_MS = 86_400_000;
const DEFAULT_CONCURRENCY = 8;
/** Before this, `lastModified` is Microsoft's "never" (`0001-01-01T00:00:00`, §1.3) or noise. */
const EARLIEST_PLAUSIBLE = Date.parse('2015-01-01T00:00:00Z');

/**
 * The periodic reconciliation of the store with List Subscriptions (all pages; reference/marketplace-api.md §1.2 #3,
 * §1.4, §6.3), so that no purchase or state change is missed when a webhook or a landing visit never reached us.
 *
 * For each subscription of our offers:
 * - never stored: stored from Microsoft's view (an Unsubscribed one we never saw is left alone: nothing to serve or
 *   bill); stored silently, as the webhook does for a subscription it did not know;
 * - PendingFulfillmentStart for longer than `pendingPurchaseAlertMinutes` (from Microsoft's `created`, else from when
 *   we stored it): the customer never opened the landing page (§6.3: no webhook is sent for a purchase), so a
 *   `PendingPurchaseNotOpened` lifecycle event tells the publisher, once per subscription (an operation record keyed
 *   `pending-purchase-notice`; a publish that failed is retried by the next run);
 * - otherwise, when List disagrees with the store: Get Subscription is read (after the store, so it is at least as
 *   new) and each difference is applied through the webhook's timeline logic (`applySubscriptionChange`, conditional
 *   writes, one lifecycle event each): activation (`SubscriptionActivated`, under the landing page's own operation id
 *   so the two never both publish it), plan (`PlanChanged`, with Microsoft's seats), seats (`QuantityChanged`), term
 *   (`Renewed`), then status (`Suspended`, `Reinstated`, `Unsubscribed`). Each change is placed at Microsoft's
 *   `lastModified` when it is plausible (after our last recorded change, not in the future), else now.
 *
 * Idempotent: a second run finds nothing to change; a change is applied only while the fields it changes still hold
 * what was read before Get Subscription, so a webhook applied meanwhile is never undone (the next run looks again).
 *
 * @throws MarketplaceError when List Subscriptions cannot be read: nothing after the failed page is reconciled.
 */
export async function syncSubscriptions(
  deps: SyncSubscriptionsDeps,
  options: { readonly stopAt?: Date } = {},
): Promise<SyncSummary> {
  const offers = new Set(deps.catalog.offers.map((offer) => offer.id));
  const counts = {
    listed: 0,
    otherOffers: 0,
    created: 0,
    pendingReported: 0,
    expiringReported: 0,
    expiredRecorded: 0,
    changesApplied: 0,
    failed: 0,
  };
  const seen = new Set<string>();
  const correlationId = crypto.randomUUID();
  const concurrency = Math.max(1, deps.concurrency ?? DEFAULT_CONCURRENCY);
  let batch: MarketplaceSubscription[] = [];
  let stoppedEarly = false;

  const run = async (remotes: readonly MarketplaceSubscription[]) => {
    await Promise.all(
      remotes.map(async (remote) => {
        try {
          const result = await reconcile(deps, remote, correlationId);
          counts.created += result.created ? 1 : 0;
          counts.pendingReported += result.pendingReported ? 1 : 0;
          counts.expiringReported += result.expiringReported ? 1 : 0;
          counts.changesApplied += result.changesApplied;
        } catch (error) {
          counts.failed += 1;
          deps.logger.warn('Subscription could not be reconciled; the next run tries again', {
            subscriptionId: remote.id,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
  };

  for await (const remote of deps.marketplace.listSubscriptions({ correlationId })) {
    seen.add(remote.id);
    if (!offers.has(remote.offerId)) {
      counts.otherOffers += 1;
      continue;
    }
    counts.listed += 1;
    batch.push(remote);
    if (batch.length >= concurrency) {
      await run(batch);
      batch = [];
      if (options.stopAt && deps.clock.now().getTime() >= options.stopAt.getTime()) {
        stoppedEarly = true;
        break;
      }
    }
  }
  if (!stoppedEarly) {
    await run(batch);
    // Only a complete listing tells which stored purchases Microsoft no longer has.
    await recordExpiredPurchases(deps, seen, correlationId, counts, options.stopAt);
  }
  return { ...counts, stoppedEarly };
}

interface ReconcileResult {
  readonly created: boolean;
  readonly pendingReported: boolean;
  readonly expiringReported?: boolean;
  readonly changesApplied: number;
}

async function reconcile(
  deps: SyncSubscriptionsDeps,
  listed: MarketplaceSubscription,
  correlationId: string,
): Promise<ReconcileResult> {
  const remoteStatus = statusFromMarketplace(listed.saasSubscriptionStatus);
  let stored = await deps.subscriptions.read(listed.id);
  let created = false;
  if (!stored) {
    if (remoteStatus === 'Unsubscribed') return { created: false, pendingReported: false, changesApplied: 0 };
    const result = await deps.subscriptions.createIfAbsent(
      subscriptionFromMarketplace(listed, deps.clock.now(), {}, deps.logger),
    );
    ({ created, stored } = result);
    if (created) {
      deps.logger.info('Subscription found by the sync and stored', {
        subscriptionId: listed.id,
        status: remoteStatus,
      });
    }
  }
  if (remoteStatus === 'PendingFulfillmentStart' && stored.subscription.status === 'PendingFulfillmentStart') {
    const pendingReported = await reportPendingPurchase(deps, listed, stored);
    const expiringReported = await warnOfPendingDeadline(deps, listed, stored);
    return { created, pendingReported, expiringReported, changesApplied: 0 };
  }
  if (differences(stored.subscription, listed).length === 0)
    return { created, pendingReported: false, changesApplied: 0 };

  // List may be older than a webhook applied since: decide on a fresh read taken after the store's.
  const fresh = await deps.marketplace.getSubscription(listed.id, { correlationId });
  // Only the fresh read is logged: a term refused as bad data is logged once per run, not twice.
  const steps = differences(stored.subscription, fresh, deps.logger);
  const placed = placeAt(stored.subscription, fresh, deps.clock.now());
  let changesApplied = 0;
  for (const [index, step] of steps.entries()) {
    // One millisecond apart, in order: changes at one instant would merge into one period (an activation and the
    // suspension after it would leave no Subscribed period at all).
    const at = new Date(placed.getTime() + index);
    const result = await applySubscriptionChange(deps, {
      subscriptionId: listed.id,
      operationId: step.operationId ?? `sync:${step.eventType}:${at.toISOString()}`,
      action: `Sync${step.eventType}`,
      compute: ({ subscription }): ComputedChange => {
        if (!step.stillApplies(subscription))
          return { unchanged: 'changed since it was read; the next sync looks again' };
        const changed = step.apply(subscription, at);
        return changed ? { subscription: changed, eventType: step.eventType, at } : { unchanged: 'already in force' };
      },
    });
    if (result.outcome === 'applied') changesApplied += 1;
  }
  if (changesApplied > 0) {
    deps.logger.warn('Subscription sync applied changes no webhook had brought', {
      subscriptionId: listed.id,
      changes: steps.map((step) => step.eventType),
    });
  }
  return { created, pendingReported: false, changesApplied };
}

/** One difference between the store and Microsoft, as a change to apply. */
interface Step {
  readonly eventType: LifecycleEventType;
  /** A fixed operation id (the activation's), else one derived from the instant. */
  readonly operationId?: string;
  /** Whether the fields this step changes still hold what they held when the difference was found. */
  readonly stillApplies: (current: Subscription) => boolean;
  /** The subscription with the change, or undefined when it changes nothing. */
  readonly apply: (current: Subscription, at: Date) => Subscription | undefined;
}

/**
 * What differs, in the order it is applied: activation, plan, seats, term, then the status (a cancellation is final,
 * so it comes last; §1.4).
 */
function differences(stored: Subscription, remote: MarketplaceSubscription, log?: TermLog): Step[] {
  const status = statusFromMarketplace(remote.saasSubscriptionStatus);
  if (status === 'PendingFulfillmentStart') return [];
  const steps: Step[] = [];
  const timelineChange = (change: Omit<SubscriptionChange, 'at'>) => (current: Subscription, at: Date) => {
    const changed = applyChange(current, { ...change, at });
    return changed.applied ? changed.subscription : undefined;
  };
  const term = termFromMarketplace(remote, log);
  const withTerm = (subscription: Subscription | undefined) =>
    subscription && term ? (withRenewedTerm(subscription, term) ?? subscription) : subscription;

  if (stored.status === 'PendingFulfillmentStart' && status !== 'Unsubscribed') {
    steps.push({
      eventType: 'SubscriptionActivated',
      operationId: ACTIVATION_OPERATION_ID,
      stillApplies: (current) => current.status === 'PendingFulfillmentStart',
      apply: (current, at) =>
        withTerm(
          timelineChange({ status: 'Subscribed', planId: remote.planId, quantity: remote.quantity ?? null })(
            current,
            at,
          ),
        ),
    });
  } else if (stored.status !== 'Unsubscribed') {
    if (remote.planId !== stored.planId) {
      steps.push({
        eventType: 'PlanChanged',
        stillApplies: (current) => current.planId === stored.planId && current.quantity === stored.quantity,
        apply: timelineChange({ planId: remote.planId, quantity: remote.quantity ?? null }),
      });
    } else if (remote.quantity !== stored.quantity) {
      steps.push({
        eventType: 'QuantityChanged',
        stillApplies: (current) => current.quantity === stored.quantity,
        apply: timelineChange({ quantity: remote.quantity ?? null }),
      });
    }
    if (term && (status === 'Subscribed' || status === 'Suspended') && withRenewedTerm(stored, term)) {
      steps.push({
        eventType: 'Renewed',
        stillApplies: (current) => sameTerm(current.term, stored.term),
        apply: (current) => withRenewedTerm(current, term),
      });
    }
  }
  const target: SubscriptionStatus = status;
  const from = stored.status === 'PendingFulfillmentStart' && status !== 'Unsubscribed' ? 'Subscribed' : stored.status;
  if (from !== target && stored.status !== 'Unsubscribed') {
    const eventType: LifecycleEventType =
      target === 'Suspended' ? 'Suspended' : target === 'Unsubscribed' ? 'Unsubscribed' : 'Reinstated';
    steps.push({
      eventType,
      stillApplies: (current) => current.status === from,
      apply: timelineChange({ status: target }),
    });
  }
  return steps;
}

/**
 * When the changes found took effect: Microsoft's `lastModified` (its last change) when it is plausible, i.e. after
 * the last change we recorded and not in the future; otherwise now (or just after the last recorded change). Usage in the hours between is then judged by the
 * state Microsoft had (DESIGN invariant 2) as well as we can tell.
 */
function placeAt(stored: Subscription, remote: MarketplaceSubscription, now: Date): Date {
  const lastRecorded = Math.max(0, ...(stored.timeline ?? []).map((period) => Date.parse(period.from)));
  // Microsoft's instants may come without a zone (`0001-01-01T00:00:00`); they are UTC (marketplace-time.ts).
  const modified = (remote.lastModified && parseMarketplaceInstant(remote.lastModified)?.getTime()) || Number.NaN;
  if (Number.isNaN(modified) || modified < EARLIEST_PLAUSIBLE || modified <= lastRecorded || modified > now.getTime()) {
    // Never at the instant of the last recorded change: changes at one instant merge into one period.
    return new Date(Math.max(now.getTime(), lastRecorded + 1));
  }
  return new Date(modified);
}

/** Publishes `PendingPurchaseNotOpened` once the purchase is old enough; once per subscription. */
async function reportPendingPurchase(
  deps: SyncSubscriptionsDeps,
  remote: MarketplaceSubscription,
  stored: StoredSubscription,
): Promise<boolean> {
  const createdAt = purchaseTime(remote, stored);
  if (deps.clock.now().getTime() - createdAt.getTime() < deps.pendingPurchaseAlertMinutes * 60_000) return false;
  const record = await deps.subscriptions.getOperation(remote.id, PENDING_PURCHASE_NOTICE_ID);
  if (record?.state === 'applied') {
    // Reported before; only a publish that failed then is completed now.
    return publishPendingEvent(deps, record);
  }
  const result = await applySubscriptionChange(deps, {
    subscriptionId: remote.id,
    operationId: PENDING_PURCHASE_NOTICE_ID,
    action: 'PendingPurchaseNotOpened',
    compute: ({ subscription }): ComputedChange =>
      subscription.status === 'PendingFulfillmentStart'
        ? { subscription, eventType: 'PendingPurchaseNotOpened', at: createdAt }
        : { unchanged: `no longer pending: ${subscription.status}` },
  });
  if (result.outcome === 'applied') {
    deps.logger.warn('Purchase never opened on the landing page: reported to the publisher', {
      subscriptionId: remote.id,
      purchasedAt: createdAt.toISOString(),
      purchaser: remote.purchaser?.emailId,
    });
  }
  return result.outcome === 'applied';
}

/**
 * The 30-day deadline of a purchase still PendingFulfillmentStart: at the latest of days 7, 21 and 28 reached, a
 * `PendingPurchaseExpiring` event with the days left (claimed once per subscription and day by the operation record
 * `pending-purchase-expiring-<day>`, written with the subscription in one conditional write: concurrent or repeated
 * runs publish it once; a publish that failed is completed by the next run). Only the latest day reached is raised: a
 * sync that was down for two weeks warns once with the days really left, not three times. At day 28 the operations
 * topic is told too (its own record, written after the notice is sent: at least once).
 * @returns whether this run published a warning.
 */
async function warnOfPendingDeadline(
  deps: SyncSubscriptionsDeps,
  remote: MarketplaceSubscription,
  stored: StoredSubscription,
): Promise<boolean> {
  const purchasedAt = purchaseTime(remote, stored).getTime();
  const age = deps.clock.now().getTime() - purchasedAt;
  const day = [...PENDING_PURCHASE_WARNING_DAYS].reverse().find((candidate) => age >= candidate * DAY_MS);
  if (day === undefined) return false;
  const deadline = new Date(purchasedAt + PENDING_PURCHASE_DEADLINE_DAYS * DAY_MS);
  const daysLeft = PENDING_PURCHASE_DEADLINE_DAYS - day;
  const operationId = expiringNoticeId(day);
  const record = await deps.subscriptions.getOperation(remote.id, operationId);
  let published: boolean;
  if (record?.state === 'applied') {
    published = await publishPendingEvent(deps, record);
  } else {
    const result = await applySubscriptionChange(deps, {
      subscriptionId: remote.id,
      operationId,
      action: 'PendingPurchaseExpiring',
      compute: ({ subscription }): ComputedChange =>
        subscription.status === 'PendingFulfillmentStart'
          ? {
              subscription,
              eventType: 'PendingPurchaseExpiring',
              at: new Date(purchasedAt + day * DAY_MS),
              eventDetails: { daysLeft, deadline: deadline.toISOString() },
            }
          : { unchanged: `no longer pending: ${subscription.status}` },
    });
    published = result.outcome === 'applied';
    if (result.outcome === 'ignored') return false;
  }
  if (published) {
    deps.logger.warn('Purchase still not activated: Microsoft deletes it at the deadline', {
      subscriptionId: remote.id,
      daysLeft,
      deadline: deadline.toISOString(),
      purchaser: remote.purchaser?.emailId,
    });
  }
  if (day === PENDING_PURCHASE_WARNING_DAYS.at(-1)) await tellOperations(deps, remote, deadline, daysLeft);
  return published;
}

/** Tells the operations topic of a purchase two days from deletion, once (sent, then recorded: at least once). */
async function tellOperations(
  deps: SyncSubscriptionsDeps,
  remote: MarketplaceSubscription,
  deadline: Date,
  daysLeft: number,
): Promise<void> {
  if (!deps.operations) return;
  const record = await deps.subscriptions.getOperation(remote.id, EXPIRING_OPERATIONS_NOTICE_ID);
  if (record?.state === 'applied') return;
  await deps.operations.notify({
    kind: 'PendingPurchaseExpiring',
    subscriptionId: remote.id,
    subject: `Purchase ${remote.id} is deleted by Microsoft in ${daysLeft} days unless activated`,
    message:
      `The purchase ${remote.id} of plan "${remote.planId}" (offer "${remote.offerId}", purchaser ` +
      `${remote.purchaser?.emailId ?? 'unknown'}) was never activated. Microsoft deletes it at ` +
      `${deadline.toISOString()} (${daysLeft} days left), and the customer is lost. Contact the purchaser and have ` +
      'them open the landing page from the marketplace ("Configure account"), or activate it for them.',
  });
  await applySubscriptionChange(deps, {
    subscriptionId: remote.id,
    operationId: EXPIRING_OPERATIONS_NOTICE_ID,
    action: 'PendingPurchaseExpiringOperationsNotice',
    compute: ({ subscription }): ComputedChange => ({ subscription, at: deps.clock.now() }),
  });
}

/**
 * Stored purchases still PendingFulfillmentStart that a complete List Subscriptions no longer shows, and that Get
 * Subscription answers 404 for: Microsoft deleted them unfulfilled (day 30). Each is recorded as gone: `Unsubscribed`
 * (terminal, so the entitlement says not entitled and nothing is ever billed), its `Unsubscribed` lifecycle event
 * carrying `reason: "expiredUnfulfilled"`, an operation record `pending-purchase-expired` and an audit entry. Why not
 * a status of its own: every reader (entitlement, metering, sync, API) already treats `Unsubscribed` as the end, and
 * Microsoft itself reports deleted subscriptions as Unsubscribed or not at all; the reason says which end it was.
 */
async function recordExpiredPurchases(
  deps: SyncSubscriptionsDeps,
  seen: ReadonlySet<string>,
  correlationId: string,
  counts: { expiredRecorded: number; failed: number },
  stopAt: Date | undefined,
): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await deps.subscriptions.listByStatus('PendingFulfillmentStart', {
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    for (const stored of page.subscriptions) {
      if (seen.has(stored.subscription.id)) continue;
      if (stopAt && deps.clock.now().getTime() >= stopAt.getTime()) return;
      try {
        if (await recordIfDeleted(deps, stored, correlationId)) counts.expiredRecorded += 1;
      } catch (error) {
        counts.failed += 1;
        deps.logger.warn('Unlisted pending purchase could not be checked; the next run tries again', {
          subscriptionId: stored.subscription.id,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
}

async function recordIfDeleted(
  deps: SyncSubscriptionsDeps,
  stored: StoredSubscription,
  correlationId: string,
): Promise<boolean> {
  const id = stored.subscription.id;
  try {
    await deps.marketplace.getSubscription(id, { correlationId });
    return false; // Still there: List was older than Get; the next run looks again.
  } catch (error) {
    if (!(error instanceof MarketplaceNotFoundError)) throw error;
  }
  const at = deps.clock.now();
  const result = await applySubscriptionChange(deps, {
    subscriptionId: id,
    operationId: PENDING_PURCHASE_EXPIRED_ID,
    action: 'PendingPurchaseExpired',
    compute: ({ subscription }): ComputedChange => {
      if (subscription.status !== 'PendingFulfillmentStart')
        return { unchanged: `no longer pending: ${subscription.status}` };
      const changed = applyChange(subscription, { status: 'Unsubscribed', at });
      return changed.applied
        ? {
            subscription: changed.subscription,
            eventType: 'Unsubscribed',
            at,
            eventDetails: { reason: 'expiredUnfulfilled' },
          }
        : { unchanged: 'already ended' };
    },
  });
  if (result.outcome !== 'applied') return false;
  await deps.audit?.record({
    subscriptionId: id,
    at,
    kind: 'sync',
    what: 'PendingPurchaseExpired',
    result:
      'Unsubscribed (expiredUnfulfilled): never activated, deleted by Microsoft (Get Subscription 404, not listed)',
    correlationId,
  });
  deps.logger.warn('Purchase never activated was deleted by Microsoft: recorded as Unsubscribed', {
    subscriptionId: id,
  });
  return true;
}

/** When the customer bought it: Microsoft's `created`, else when we first stored it. */
function purchaseTime(remote: MarketplaceSubscription, stored: StoredSubscription): Date {
  const created = (remote.created && parseMarketplaceInstant(remote.created)?.getTime()) || Number.NaN;
  return new Date(Number.isNaN(created) || created < EARLIEST_PLAUSIBLE ? Date.parse(stored.createdAt) : created);
}

function sameTerm(a: SubscriptionTerm | undefined, b: SubscriptionTerm | undefined): boolean {
  return a?.startDate === b?.startDate && a?.endDate === b?.endDate && a?.termUnit === b?.termUnit;
}
