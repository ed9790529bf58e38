import { hoursOf, planSubscriptionAddition, subscriptionsOf } from '#shared/domain/usage/event-dedup.ts';
import { assertApplicableMessage, type UsageMessage } from '#shared/domain/usage/usage-message.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { type Clock, systemClock } from '#shared/use-cases/ports/clock.ts';

/** What became of one message of a batch. */
export type MessageOutcome =
  | { readonly status: 'applied' }
  /** Everything in it was counted before (a redelivery, a client retry, ids seen before): nothing changed. */
  | { readonly status: 'duplicate' }
  /** Some of its usage could not be recorded now (throttling, conflicts): deliver it again; what was recorded stays. */
  | { readonly status: 'failed'; readonly error: unknown };

export interface ApplyUsageMessagesResult {
  /** One outcome per message, in the batch's order. */
  readonly outcomes: readonly MessageOutcome[];
  /** Events dropped as counted before (by id, or by their message's marker). */
  readonly duplicateEvents: number;
  /** Subscriptions whose usage grew. */
  readonly subscriptionsAdded: readonly string[];
}

/** Subscriptions recorded at once. */
const SUBSCRIPTION_CONCURRENCY = 8;
/**
 * Attempts per subscription when another worker changed one of its hour sets between read and write. The aggregator's
 * trigger runs up to 10 workers, and with one busy subscription each round of them can leave all but one stale. A
 * worker goes stale only when another one wrote meanwhile, and each of the others writes its batch's part once, so
 * among 10 a worker loses about 9 times at worst: 12 attempts (each after a jittered, growing pause) let it wait out
 * the others. One that gave up would leave its message to SQS, which counts it only after the queue's visibility
 * timeout (3 minutes).
 */
const STALE_ATTEMPTS = 12;
/** The pause before the second attempt; it doubles per attempt up to `STALE_MAX_DELAY_MS` (under 4 s in all). */
const STALE_BASE_DELAY_MS = 10;
const STALE_MAX_DELAY_MS = 400;

export interface ApplyUsageMessagesDeps {
  readonly ledger: UsageLedger;
  /**
   * Past this instant a subscription whose hour set went stale is not tried again after a pause: its messages fail
   * (SQS delivers them again), so that the function answers its batch before its timeout. Absent: no limit.
   */
  readonly pauseStaleRetriesUntil?: Date;
  /** The clock `pauseStaleRetriesUntil` was measured with (the function's); `systemClock` when absent. */
  readonly clock?: Clock;
}

/**
 * Applies a batch of usage queue messages to the ledger, each event exactly once (DESIGN invariant 1; the rule in
 * `shared/domain/usage/event-dedup.ts`). Merging the batch per subscription is what makes small requests cheap: one
 * request's message of a single event costs no write of its own, the subscription's slots, totals and hour sets are
 * written once for all of the batch's messages.
 * Steps, per subscription of the batch: read its hours' entry sets (strongly consistent); plan what is new
 * (`planSubscriptionAddition`); record it (`addUsage`: each hour's entries with its slot additions, conditional on
 * the set as read); when another worker changed a set meanwhile, read and plan again.
 * A message of format 1 (queued before event-id sets existed) that the ledger had applied under its marker is a
 * duplicate.
 * A message fails when any subscription it touches could not be recorded: SQS delivers it again, and the parts that
 * were recorded are then recognised by their entries.
 * @throws InvalidUsageMessageError when a message can never be applied (checked for all before anything is written).
 */
export async function applyUsageMessages(
  deps: ApplyUsageMessagesDeps,
  messages: readonly UsageMessage[],
): Promise<ApplyUsageMessagesResult> {
  for (const message of messages) assertApplicableMessage(message);
  const legacy = await Promise.all(
    messages.map((message) =>
      message.version === 1 ? deps.ledger.appliedBeforeEntrySets(message.marker) : Promise.resolve(false),
    ),
  );
  const pending = messages.filter((_, index) => !legacy[index]);
  const pendingIndex = messages.map((_, index) => index).filter((index) => !legacy[index]);
  const failedSubscriptions = new Map<string, unknown>();
  const contributing = new Set<number>();
  const added: string[] = [];
  let duplicateEvents = 0;

  const subscriptions = subscriptionsOf(pending);
  for (let start = 0; start < subscriptions.length; start += SUBSCRIPTION_CONCURRENCY) {
    await Promise.all(
      subscriptions.slice(start, start + SUBSCRIPTION_CONCURRENCY).map(async (subscriptionId) => {
        try {
          const recorded = await recordSubscription(deps, pending, subscriptionId);
          duplicateEvents += recorded.duplicateEvents;
          for (const index of recorded.contributingMessages) contributing.add(pendingIndex[index] as number);
          if (recorded.grew) added.push(subscriptionId);
        } catch (error) {
          failedSubscriptions.set(subscriptionId, error);
        }
      }),
    );
  }

  const outcomes = messages.map((message, index): MessageOutcome => {
    const failure = message.slots.find((slot) => failedSubscriptions.has(slot.subscriptionId));
    if (failure && !legacy[index]) return { status: 'failed', error: failedSubscriptions.get(failure.subscriptionId) };
    return contributing.has(index) ? { status: 'applied' } : { status: 'duplicate' };
  });
  return { outcomes, duplicateEvents, subscriptionsAdded: added };
}

/**
 * One message alone: `applied`, or `duplicate` when everything in it was counted before.
 * @throws the recording error when it could not be recorded now (retry it).
 */
export async function applyUsageMessage(
  deps: { readonly ledger: UsageLedger },
  message: UsageMessage,
): Promise<'applied' | 'duplicate'> {
  const [outcome] = (await applyUsageMessages(deps, [message])).outcomes;
  if (outcome?.status === 'failed') throw outcome.error;
  return outcome?.status ?? 'duplicate';
}

/** What recording one subscription's part of a batch did. */
interface SubscriptionRecorded {
  /** Indexes (in the batch) of the messages that added events to it. */
  readonly contributingMessages: ReadonlySet<number>;
  readonly duplicateEvents: number;
  /** True when its slots grew. */
  readonly grew: boolean;
}

async function recordSubscription(
  { ledger, pauseStaleRetriesUntil, clock = systemClock }: ApplyUsageMessagesDeps,
  messages: readonly UsageMessage[],
  subscriptionId: string,
): Promise<SubscriptionRecorded> {
  const hours = hoursOf(messages, subscriptionId);
  // What earlier attempts recorded before a set turned out stale: the next plan sees those events as counted before.
  const contributing = new Set<number>();
  let recordedEvents = 0;
  for (let attempt = 1; ; attempt++) {
    const sets = await ledger.readEntrySets(subscriptionId, hours, { consistent: true });
    const addition = planSubscriptionAddition(messages, subscriptionId, sets);
    const result = addition.hours.length === 0 ? { committedHours: [], stale: false } : await ledger.addUsage(addition);
    const committed = addition.hours.filter((hour) => result.committedHours.includes(hour.hour));
    if (committed.length > 0) for (const index of addition.contributingMessages) contributing.add(index);
    const eventsNow = committed.flatMap((hour) => hour.slots).reduce((sum, slot) => sum + slot.eventCount, 0);
    if (!result.stale) {
      return {
        contributingMessages: contributing,
        // This attempt's plan counts what earlier attempts recorded as duplicates: they were ours.
        duplicateEvents: addition.duplicateEvents - recordedEvents,
        grew: recordedEvents + eventsNow > 0,
      };
    }
    recordedEvents += eventsNow;
    // Jittered, so workers that lost together do not collide again in the same instant.
    const pauseMs = Math.min(STALE_MAX_DELAY_MS, STALE_BASE_DELAY_MS * 2 ** (attempt - 1)) * (0.5 + Math.random());
    const outOfTime =
      pauseStaleRetriesUntil !== undefined && clock.now().getTime() + pauseMs > pauseStaleRetriesUntil.getTime();
    if (attempt >= STALE_ATTEMPTS || outOfTime) {
      throw new Error(
        `the usage of subscription ${subscriptionId} changed under ${attempt} attempts in a row; retried later`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}
