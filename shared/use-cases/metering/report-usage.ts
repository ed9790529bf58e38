/**
 * The usage reporter's run (rules: shared/domain/reporting/README.md). Over 400 lines on purpose: one run is one
 * stateful object (its caches, counts and pending batch) whose phases — find the unreported meters, rate and write
 * ahead in hour order, send in batches, record the answers — share that state; the pure helpers are in
 * reporting-run-helpers.ts and the rules in the domain.
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '#shared/domain/catalog.ts';
import { Dec } from '#shared/domain/money.ts';
import { planHistoryOf } from '#shared/domain/plan-history.ts';
import { type AnswerDecision, type AnswerKind, decideAnswer } from '#shared/domain/reporting/metering-answers.ts';
import { usageEventOf } from '#shared/domain/reporting/metering-event.ts';
import { ageHours, lastClosedHour } from '#shared/domain/reporting/report-schedule.ts';
import {
  carryTarget,
  planSlot,
  type SlotContext,
  type SlotPlan,
  withExpiredFold,
  withUnreportableCarry,
} from '#shared/domain/reporting/slot-planning.ts';
import { hasCarry, type MeterState, type ReportingSlot, type SlotSubmission } from '#shared/domain/reporting/slots.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { HOUR_MS } from '#shared/domain/terms.ts';
import type { MeteringAlertPublisher } from '#shared/use-cases/metering/ports/metering-alert-publisher.ts';
import type { ReportingLedger, SlotAnswer } from '#shared/use-cases/metering/ports/reporting-ledger.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { Marketplace, UsageEventResult } from '#shared/use-cases/ports/marketplace.ts';
import { MAX_USAGE_EVENTS_PER_BATCH } from '#shared/use-cases/ports/marketplace.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';
import {
  accountingOf,
  blankSlot,
  forEachBounded,
  type Group,
  groupEntries,
  matchResults,
  type PendingEvent,
} from './reporting-run-helpers.ts';

/** Structured logging as the reporter needs it (the Powertools logger fits). */
export interface ReportingLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

export interface ReportUsageDeps {
  readonly ledger: ReportingLedger;
  /** Only reads; the reporter never changes a subscription. */
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly catalog: Catalog;
  readonly marketplace: Pick<Marketplace, 'postBatchUsageEvents'>;
  readonly alerts: MeteringAlertPublisher;
  readonly clock: Clock;
  /** Minutes after an hour closes before it is reported (`USAGE_REPORT_GRACE_MINUTES`, default 10). */
  readonly graceMinutes: number;
  readonly logger?: ReportingLogger;
  /** (subscription, dimension) groups worked on at once (default 8); each group is strictly sequential. */
  readonly groupConcurrency?: number;
  /** Batch calls in flight at once (default 4). */
  readonly sendConcurrency?: number;
}

/** What one run did, for metrics and logs. */
export interface ReportingRunSummary {
  readonly runId: string;
  /** The last hour the run could report (ISO). */
  readonly lastHour: string;
  /** (subscription, dimension) groups with work found in the unreported index. */
  readonly groups: number;
  /** Groups stopped at a slot that cannot be rated (configuration problem; the slot stays and ages). */
  readonly blockedGroups: number;
  /** Groups that failed on an error (retried by the next run). */
  readonly failedGroups: number;
  /** Slots rated in this run (each exactly once). */
  readonly slotsRated: number;
  /** Rated slots with nothing to send (covered by the included quantity, or unlimited). */
  readonly slotsIncluded: number;
  /** Rated slots already outside the 24 h window: their overage was folded forward without a call. */
  readonly slotsFoldedOutsideWindow: number;
  /** Late deltas folded into the carry, and their total quantity. */
  readonly lateFolds: number;
  readonly lateQuantity: string;
  /** Slots whose usage was recorded unreportable (hour not Subscribed). */
  readonly unreportableSlots: number;
  /** Carry put into a slot of the latest closed hour (rule 8). */
  readonly carryPlaced: number;
  /** Meters whose carry can never be reported (subscription ended): alarm. */
  readonly carryUnreportable: number;
  /** Events sent (resubmissions included) and batch calls that failed as a whole. */
  readonly eventsSent: number;
  readonly batchFailures: number;
  /** Answers by kind (`accepted`, `duplicateMismatch`, `expiredFolded`, `unreportable`, `rejected`, `retry`). */
  readonly answers: Readonly<Record<AnswerKind, number>>;
  /** Expired answers to an event sent before without a final answer: it may have been billed already (alarm). */
  readonly expiredAfterRetry: number;
  /** Publisher alerts that could not be published. */
  readonly alertFailures: number;
  /** Conditional writes lost to a concurrent writer (re-read and redone). */
  readonly conflicts: number;
  /** Age in hours of the oldest index entry found at the start of the run (0 when none). */
  readonly oldestUnreportedAgeHours: number;
  /** The hour (ISO) of that oldest entry; absent when the index held nothing to report. */
  readonly oldestUnreportedHour?: string;
  /** Answers `Duplicate` with our quantity (counted in `answers.accepted` too): a resend of an event that went through. */
  readonly duplicateAnswers: number;
  /** Metering calls made (batch calls, each of up to 25 events). */
  readonly meteringCalls: number;
  /**
   * Groups not started because the run reached `ReportingScope.stopAt`: their slots stay in the index
   * and the caller continues the shard. 0 when the run got through everything it found.
   */
  readonly remainingGroups: number;
}

/** How far a run goes: every closed hour up to `lastHour`, for all subscriptions or one. */
export interface ReportingScope {
  readonly lastHour: Date;
  readonly subscriptionId?: string;
  /** Only this shard of the unreported index (the fan-out's worker); all shards when absent. */
  readonly shard?: number;
  /**
   * No new chunk of groups is started at or after this instant (a worker's time budget): the chunk in progress is
   * rated, sent and answered, the rest is left in the index and counted in `remainingGroups`.
   */
  readonly stopAt?: Date;
}

const DEFAULT_GROUP_CONCURRENCY = 8;
const DEFAULT_SEND_CONCURRENCY = 4;
/**
 * Groups rated per chunk before the chunk's events are sent: a run alternates rating and sending, so events do not
 * pile up waiting for the whole backlog to be rated, and a run stopped by its `stopAt` (checked before each group)
 * leaves few events written ahead and unsent. 200 groups are about 8 batch calls.
 */
const CHUNK_GROUPS = 200;
/** Re-reads after a lost conditional write before a group gives up for this run. */
const MAX_CONFLICT_RETRIES = 5;

/**
 * The scheduled report: every closed hour (hour + 1 h + grace ≤ now) still unreported, all subscriptions.
 * Steps (see the rules in shared/domain/reporting/README.md):
 * 1. find the work in the unreported index (all 8 shards) and group it by (subscription, dimension);
 * 2. per group, strictly in hour order, rate each slot and write it ahead (meter + slot in one transaction,
 *    conditional on what was read); groups run in parallel, bounded;
 * 3. send every pending event (new ones and those left pending by an earlier run) in batches of ≤ 25, bounded;
 * 4. record each answer on its slot (Expired folds into the meter's carry; ResourceNotActive/NotFound flags the
 *    subscription and alerts the publisher).
 * A crash anywhere leaves the write-ahead state behind: the next run resends the same events and Microsoft answers
 * `Duplicate` for any that went through.
 * @throws Error only when the unreported index cannot be read; failures of single groups or batches are counted in the
 *   summary and retried by the next run.
 */
export function reportUsage(deps: ReportUsageDeps): Promise<ReportingRunSummary> {
  return runReporting(deps, { lastHour: lastClosedHour(deps.clock.now(), deps.graceMinutes) });
}

/**
 * One reporting pass over `scope` (shared by the scheduled report and the flush at cancellation).
 * @throws Error when the unreported index cannot be read.
 */
export async function runReporting(deps: ReportUsageDeps, scope: ReportingScope): Promise<ReportingRunSummary> {
  const run = new ReportingRun(deps, scope);
  return run.execute();
}

class ReportingRun {
  private readonly runId = randomUUID();
  private readonly now: Date;
  private readonly subscriptions = new Map<string, Promise<Subscription | undefined>>();
  private readonly pending: PendingEvent[] = [];
  private readonly counts = {
    groups: 0,
    blockedGroups: 0,
    failedGroups: 0,
    slotsRated: 0,
    slotsIncluded: 0,
    slotsFoldedOutsideWindow: 0,
    lateFolds: 0,
    unreportableSlots: 0,
    carryPlaced: 0,
    carryUnreportable: 0,
    eventsSent: 0,
    batchFailures: 0,
    expiredAfterRetry: 0,
    alertFailures: 0,
    conflicts: 0,
    duplicateAnswers: 0,
    meteringCalls: 0,
    remainingGroups: 0,
  };
  private lateQuantity = new Dec(0);
  private readonly answers: Record<AnswerKind, number> = {
    accepted: 0,
    duplicateMismatch: 0,
    expiredFolded: 0,
    unreportable: 0,
    rejected: 0,
    retry: 0,
  };

  constructor(
    private readonly deps: ReportUsageDeps,
    private readonly scope: ReportingScope,
  ) {
    this.now = deps.clock.now();
  }

  async execute(): Promise<ReportingRunSummary> {
    const entries = await this.deps.ledger.findUnreported(
      this.scope.lastHour,
      this.scope.subscriptionId,
      this.scope.shard,
    );
    const groups = groupEntries(entries);
    this.counts.groups = groups.length;
    let started = 0;
    // Past `stopAt` no group is started, but at least one always is, so a worker started late still makes progress.
    const outOfTime = () =>
      started > 0 && this.scope.stopAt !== undefined && this.deps.clock.now() >= this.scope.stopAt;
    for (let start = 0; start < groups.length && !outOfTime(); start += CHUNK_GROUPS) {
      const chunk = groups.slice(start, start + CHUNK_GROUPS);
      await forEachBounded(chunk, this.deps.groupConcurrency ?? DEFAULT_GROUP_CONCURRENCY, async (group) => {
        if (outOfTime()) return;
        started += 1;
        await this.processGroup(group);
      });
      await this.sendPending();
    }
    this.counts.remainingGroups = groups.length - started;
    const oldest = entries.reduce<string | undefined>(
      (min, entry) => (!min || entry.hour < min ? entry.hour : min),
      undefined,
    );
    return {
      runId: this.runId,
      lastHour: this.scope.lastHour.toISOString(),
      ...this.counts,
      lateQuantity: this.lateQuantity.toString(),
      answers: { ...this.answers },
      oldestUnreportedAgeHours: oldest ? ageHours(new Date(oldest), this.now) : 0,
      ...(oldest ? { oldestUnreportedHour: oldest } : {}),
    };
  }

  private subscription(id: string): Promise<Subscription | undefined> {
    let found = this.subscriptions.get(id);
    if (!found) {
      found = this.deps.subscriptions.get(id);
      this.subscriptions.set(id, found);
    }
    return found;
  }

  // ----- phase 2: rate and write ahead, one group strictly in hour order ------------------------------------------

  private async processGroup(group: Group): Promise<void> {
    const { subscriptionId, dimension } = group;
    const log = { subscriptionId, dimension, runId: this.runId };
    try {
      const subscription = await this.subscription(subscriptionId);
      let history: SlotContext['history'];
      try {
        history = subscription ? planHistoryOf(subscription, this.deps.catalog)?.resolved : undefined;
      } catch (error) {
        // A plan of the timeline missing from the catalog: nothing of the group can be rated until the catalog is
        // fixed. Its slots stay in the index, so the unreported-age alarm fires well before the 24 h window closes.
        this.counts.blockedGroups += 1;
        this.deps.logger?.error('Usage cannot be rated: plan history invalid', { ...log, error: String(error) });
        return;
      }
      const context: SlotContext = { now: this.now, subscription, history };
      let meter = await this.deps.ledger.readMeter(subscriptionId, dimension);
      // Everything after the last rated hour is read too, not only what the (eventually consistent) index listed, so a
      // slot the index has not shown yet is rated in its own hour instead of turning into late usage.
      const afterRated = meter.tally ? new Date(meter.tally.lastHour.getTime() + HOUR_MS).toISOString() : undefined;
      const from = [group.minSlotHour, afterRated].filter((hour) => hour !== undefined).sort()[0];
      const lastHour = this.scope.lastHour.toISOString();
      let slots: ReportingSlot[] = [];
      if (from === lastHour) {
        // One hour to read (the common case: reporting keeps up hour by hour): a single read, which the ledger may
        // batch with the other groups' reads.
        const slot = await this.deps.ledger.readSlot({ subscriptionId, dimension, hour: lastHour });
        slots = slot ? [slot] : [];
      } else if (from && from < lastHour) {
        slots = await this.deps.ledger.readSlots(subscriptionId, dimension, new Date(from), this.scope.lastHour);
      }
      for (const slot of slots) {
        const settled = await this.settleSlot(meter, slot, context);
        meter = settled.meter;
        if (settled.blocked) return;
      }
      await this.placeCarry(meter, subscription, context);
    } catch (error) {
      this.counts.failedGroups += 1;
      this.deps.logger?.error('Usage group not reported; the next run retries it', { ...log, error: String(error) });
    }
  }

  /** Rule 8: carry with no later slot goes into the latest reportable closed hour, or is found unreportable. */
  private async placeCarry(initial: MeterState, subscription: Subscription | undefined, context: SlotContext) {
    let meter = initial;
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES && hasCarry(meter); attempt++) {
      const target = carryTarget(meter, subscription, this.scope.lastHour, this.now);
      if (target.kind === 'wait' || !subscription) return;
      if (target.kind === 'unreportable') {
        const written = await this.deps.ledger.writeMeter(withUnreportableCarry(meter));
        if (written === 'written') {
          this.counts.carryUnreportable += 1;
          this.deps.logger?.error('Carried usage can never be reported: the subscription has ended', {
            subscriptionId: meter.subscriptionId,
            dimension: meter.dimension,
            carryUsage: meter.carryUsage.toString(),
            carryOverage: meter.carryOverage.toString(),
          });
          return;
        }
        this.counts.conflicts += 1;
        meter = await this.deps.ledger.readMeter(meter.subscriptionId, meter.dimension);
        continue;
      }
      const key = { subscriptionId: meter.subscriptionId, dimension: meter.dimension, hour: target.hour.toISOString() };
      const slot = (await this.deps.ledger.readSlot(key)) ?? blankSlot(key, subscription.offerId);
      const settled = await this.settleSlot(meter, slot, { ...context, placeCarry: true });
      if (!hasCarry(settled.meter)) this.counts.carryPlaced += 1;
      return;
    }
  }

  /**
   * Decides and writes one slot; on a lost race re-reads the meter and the slot and decides again.
   * @throws Error after `MAX_CONFLICT_RETRIES` lost races (the group is retried by the next run).
   */
  private async settleSlot(
    initialMeter: MeterState,
    initialSlot: ReportingSlot,
    context: SlotContext,
  ): Promise<{ meter: MeterState; blocked?: boolean }> {
    let meter = initialMeter;
    let slot = initialSlot;
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      const plan = planSlot(meter, slot, context);
      if (plan.kind === 'blocked') {
        this.counts.blockedGroups += 1;
        this.deps.logger?.error('Usage slot cannot be rated; later hours of its dimension wait', {
          subscriptionId: slot.subscriptionId,
          dimension: slot.dimension,
          hour: slot.hour,
          reason: plan.reason,
        });
        return { meter, blocked: true };
      }
      const step = accountingOf(plan, slot);
      if (!step) {
        if (slot.submission?.state === 'pending') this.queue(slot, slot.submission);
        return { meter };
      }
      if ((await this.deps.ledger.account(step)) === 'written') {
        this.countPlan(plan);
        const next = 'meter' in plan ? { ...plan.meter, version: meter.version + 1 } : meter;
        const submission = step.submission ?? slot.submission;
        if (submission?.state === 'pending') this.queue(slot, submission);
        return { meter: next };
      }
      this.counts.conflicts += 1;
      const key = { subscriptionId: slot.subscriptionId, dimension: slot.dimension, hour: slot.hour };
      [meter, slot] = await Promise.all([
        this.deps.ledger.readMeter(slot.subscriptionId, slot.dimension),
        this.deps.ledger.readSlot(key).then((found) => found ?? blankSlot(key, slot.offerId)),
      ]);
    }
    throw new Error(`gave up on slot ${slot.subscriptionId}/${slot.dimension}/${slot.hour} after concurrent writes`);
  }

  private countPlan(plan: SlotPlan): void {
    switch (plan.kind) {
      case 'late':
        this.counts.lateFolds += 1;
        this.lateQuantity = this.lateQuantity.plus(plan.delta);
        return;
      case 'unreportable':
        this.counts.unreportableSlots += 1;
        return;
      case 'rated':
        this.counts.slotsRated += 1;
        if (plan.submission.state === 'included') this.counts.slotsIncluded += 1;
        if (plan.submission.state === 'expiredFolded') this.counts.slotsFoldedOutsideWindow += 1;
        return;
      default:
        return;
    }
  }

  private queue(slot: ReportingSlot, submission: SlotSubmission): void {
    this.pending.push({
      key: { subscriptionId: slot.subscriptionId, dimension: slot.dimension, hour: slot.hour },
      offerId: slot.offerId,
      submission,
      event: usageEventOf(slot.subscriptionId, slot.dimension, submission),
    });
  }

  // ----- phase 3 and 4: send, then record each answer -------------------------------------------------------------

  /** Sends (and answers) every event queued so far, and empties the queue. */
  private async sendPending(): Promise<void> {
    const pending = this.pending.splice(0, this.pending.length);
    const batches: PendingEvent[][] = [];
    for (let start = 0; start < pending.length; start += MAX_USAGE_EVENTS_PER_BATCH) {
      batches.push(pending.slice(start, start + MAX_USAGE_EVENTS_PER_BATCH));
    }
    await forEachBounded(batches, this.deps.sendConcurrency ?? DEFAULT_SEND_CONCURRENCY, (batch) =>
      this.sendBatch(batch),
    );
  }

  private async sendBatch(batch: PendingEvent[]): Promise<void> {
    let results: readonly UsageEventResult[] = [];
    this.counts.eventsSent += batch.length;
    this.counts.meteringCalls += 1;
    try {
      const answer = await this.deps.marketplace.postBatchUsageEvents(
        batch.map((pending) => pending.event),
        { correlationId: this.runId },
      );
      results = answer.result;
    } catch (error) {
      // 429/5xx/timeouts after the client's own retries, or a refused call: the events stay pending and the next run
      // sends them again, unchanged (a copy that did go through then answers Duplicate).
      this.counts.batchFailures += 1;
      this.deps.logger?.warn('Usage batch not answered; its events stay pending for the next run', {
        runId: this.runId,
        events: batch.length,
        error: String(error),
      });
    }
    const matched = matchResults(batch, results);
    const at = this.deps.clock.now();
    const decided = batch.map((pending, index) => ({
      pending,
      result: matched[index],
      decision: decideAnswer(pending.submission, matched[index], at),
    }));
    // The answers that touch only their slot (all but Expired folds) are written together, in one request.
    const plain = decided.filter((entry) => entry.decision.kind !== 'expiredFolded');
    const written = new Map<PendingEvent, 'recorded' | 'notPending'>();
    try {
      const outcomes = await this.deps.ledger.recordAnswers(
        plain.map((entry) => this.answerOf(entry.pending, entry.decision)),
      );
      outcomes.forEach((outcome, index) => {
        const entry = plain[index];
        if (entry) written.set(entry.pending, outcome === 'recorded' ? 'recorded' : 'notPending');
      });
    } catch (error) {
      // Throttling or an outage: each answer is tried once more on its own below.
      this.deps.logger?.warn('Answers of a batch not recorded together; recording them one by one', {
        runId: this.runId,
        error: String(error),
      });
    }
    await forEachBounded(decided, 8, (entry) =>
      this.recordAnswer(entry.pending, entry.result, entry.decision, at, written.get(entry.pending)),
    );
  }

  /** The ledger write of an answer that touches only its slot (and the day's reported total). */
  private answerOf(pending: PendingEvent, decision: AnswerDecision): SlotAnswer {
    const submission = decision.submission;
    const held = submission.acceptedQuantity;
    return {
      slot: pending.key,
      submission,
      clearIndex: decision.kind !== 'retry',
      ...((decision.kind === 'accepted' || decision.kind === 'duplicateMismatch') && held && submission.planId
        ? { reported: { quantity: held, planId: submission.planId } }
        : {}),
    };
  }

  private async recordAnswer(
    pending: PendingEvent,
    result: UsageEventResult | undefined,
    decision: AnswerDecision,
    at: Date,
    alreadyWritten: 'recorded' | 'notPending' | undefined,
  ): Promise<void> {
    this.answers[decision.kind] += 1;
    if (decision.kind === 'accepted' && result?.status === 'Duplicate') this.counts.duplicateAnswers += 1;
    const log = { ...pending.key, runId: this.runId, answer: result?.status, quantity: pending.submission.quantity };
    try {
      const outcome = alreadyWritten ?? (await this.writeAnswer(pending, decision, at));
      if (outcome === 'notPending') return; // another reporter recorded it first
      switch (decision.kind) {
        case 'duplicateMismatch':
          this.deps.logger?.error('Microsoft holds another quantity for this hour', {
            ...log,
            acceptedQuantity: decision.submission.acceptedQuantity,
          });
          return;
        case 'rejected':
          this.deps.logger?.error('Usage event rejected: configuration bug (dimension, plan or quantity)', log);
          return;
        case 'expiredFolded':
          if (pending.submission.attempts > 0) {
            this.counts.expiredAfterRetry += 1;
            this.deps.logger?.error('Usage expired after earlier unanswered attempts: check it was not billed', log);
          }
          return;
        case 'unreportable':
          await this.flagAndAlert(pending, decision.reason, at);
          return;
        default:
          return;
      }
    } catch (error) {
      // The submission stays pending: the next run sends it again and records that answer.
      this.deps.logger?.warn('Answer not recorded; the event is resent by the next run', {
        ...log,
        error: String(error),
      });
    }
  }

  private async writeAnswer(
    pending: PendingEvent,
    decision: AnswerDecision,
    at: Date,
  ): Promise<'recorded' | 'notPending'> {
    const { ledger } = this.deps;
    const submission = decision.submission;
    if (decision.kind !== 'expiredFolded') {
      const outcome = await ledger.recordAnswer(this.answerOf(pending, decision));
      return outcome === 'conflict' ? 'notPending' : outcome;
    }
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      const meter = await ledger.readMeter(pending.key.subscriptionId, pending.key.dimension);
      const outcome = await ledger.recordAnswer({
        slot: pending.key,
        submission,
        meter: withExpiredFold(meter, decision.foldOverage, at),
        clearIndex: true,
      });
      if (outcome !== 'conflict') return outcome;
      this.counts.conflicts += 1;
    }
    throw new Error('the meter kept changing while folding an Expired answer');
  }

  private async flagAndAlert(pending: PendingEvent, status: string, at: Date): Promise<void> {
    const flagged = await this.deps.ledger.flagSubscription({
      subscriptionId: pending.key.subscriptionId,
      status,
      dimension: pending.key.dimension,
      hour: pending.key.hour,
      at,
    });
    this.deps.logger?.error('Microsoft refused metering for this subscription', { ...pending.key, status, flagged });
    if (flagged !== 'created') return; // alerted when first flagged
    try {
      await this.deps.alerts.publishMeteringRejected({
        type: 'MeteringRejected',
        subscriptionId: pending.key.subscriptionId,
        offerId: pending.offerId,
        ...(pending.submission.planId ? { planId: pending.submission.planId } : {}),
        dimension: pending.key.dimension,
        hour: pending.key.hour,
        status,
        quantity: pending.submission.quantity,
        at: at.toISOString(),
      });
    } catch (error) {
      this.counts.alertFailures += 1;
      this.deps.logger?.error('Metering alert not published', { ...pending.key, error: String(error) });
    }
  }
}
