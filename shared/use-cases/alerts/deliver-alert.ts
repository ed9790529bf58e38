import { type AlertCandidate, alertKey } from '#shared/domain/alerts/alert.ts';
import { alertMessageOf } from '#shared/domain/alerts/alert-message.ts';
import type { AlertLocale } from '#shared/domain/alerts/settings.ts';
import { type AlertTextContext, renderAlert } from '#shared/domain/alerts/templates.ts';
import type { AlertLog, AlertLogEntry } from '#shared/use-cases/alerts/ports/alert-log.ts';
import type { AlertPublisher } from '#shared/use-cases/alerts/ports/alert-publisher.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/**
 * How long the delivery that records (or claims) an alert holds the right to publish it. Longer than a publish takes
 * with the SDK's retries (a few seconds), shorter than the SQS visibility timeout of the usage queue (180 s), so a
 * retry of a failed delivery finds the lease run out and publishes.
 */
export const DEFAULT_LEASE_SECONDS = 60;

export interface DeliverAlertDeps {
  readonly alertLog: AlertLog;
  readonly publisher: AlertPublisher;
  readonly clock: Clock;
  readonly leaseSeconds?: number;
}

export interface DeliverAlertInput {
  readonly candidate: AlertCandidate;
  /** The recipient's language: the budget's locale for a customer, the partner's for a partner. */
  readonly locale: AlertLocale;
  readonly context?: AlertTextContext;
}

/**
 * - `sent`: this call published it;
 * - `alreadySent`: it was published before (same recipient, subscription, rule, threshold and period);
 * - `inFlight`: another delivery is publishing it right now (it holds the lease); if that one fails, its caller's
 *   retry, or this one's after the lease, publishes it.
 */
export type DeliverAlertOutcome = 'sent' | 'alreadySent' | 'inFlight';

export interface DeliverAlertResult {
  readonly key: string;
  readonly outcome: DeliverAlertOutcome;
  readonly messageId?: string;
}

/**
 * Delivers one candidate alert at most once per key (DESIGN invariant 7), and surely.
 *
 * Steps: compute the key; render the texts; record the alert in the log with a conditional write (state `pending`,
 * holding a lease); if the record is new, publish and mark it `sent`. If it was recorded before: `sent` → nothing to
 * do; `pending` with a live lease → another delivery is on it; `pending` with an expired lease (an earlier publish
 * failed or crashed) → claim it (compare-and-set, so one retry wins), publish the texts recorded the first time, mark
 * it `sent`.
 *
 * Why the log is written before publishing, and the trade-off: recording first is what makes repeated evaluations
 * and redelivered messages send nothing new. Between publishing and marking `sent` there is a window: a crash there
 * leaves the alert `pending`, and the retry publishes it again. The alternative — mark `sent`, then publish — turns
 * that duplicate into a lost alert. An alert that says a customer crossed its budget or a credit level is what the
 * product exists for, and a second copy of it is a nuisance, so delivery is at-least-once with the duplicate window
 * narrowed to a crash between two calls; the lease keeps concurrent deliveries from publishing side by side. (SNS's
 * own e-mail and SMS delivery is at-least-once too.)
 *
 * A failed publish gives the lease up, so the caller's retry publishes at once. A delivery that crashed holding the
 * lease is retried after it runs out: by the redelivered message (the SQS visibility timeout exceeds the lease), and
 * by every later evaluation while the condition still holds (charges only grow within a period, and yesterday's spike
 * is evaluated all day).
 *
 * @throws Error when the log or the publisher fails; a recorded alert then stays `pending` and the caller's retry
 *   (SQS redelivery, Lambda retry, the next schedule run) delivers it.
 */
export async function deliverAlert(deps: DeliverAlertDeps, input: DeliverAlertInput): Promise<DeliverAlertResult> {
  const key = alertKey(input.candidate);
  const now = deps.clock.now();
  const leaseUntil = new Date(now.getTime() + (deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000);
  const recorded = await deps.alertLog.record({
    key,
    candidate: input.candidate,
    locale: input.locale,
    message: renderAlert(input.candidate, input.locale, input.context),
    createdAt: now,
    leaseUntil,
  });
  if (recorded.outcome === 'new') return publishAndMark(deps, recorded.entry);

  const existing = recorded.entry;
  if (existing.state === 'sent') return { key, outcome: 'alreadySent', messageId: existing.messageId };
  if (existing.leaseUntil.getTime() > now.getTime()) return { key, outcome: 'inFlight' };
  const claimed = await deps.alertLog.claim(key, existing.attempts, leaseUntil);
  if (!claimed) return { key, outcome: 'inFlight' };
  return publishAndMark(deps, claimed);
}

/**
 * Delivers several candidates; one failing does not hold back the others.
 * @throws AggregateError of the failures, after every candidate was tried, so the caller's retry covers them.
 */
export async function deliverAlerts(
  deps: DeliverAlertDeps,
  inputs: readonly DeliverAlertInput[],
): Promise<DeliverAlertResult[]> {
  const settled = await Promise.allSettled(inputs.map((input) => deliverAlert(deps, input)));
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason);
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${inputs.length} alerts failed`);
  return settled.map((s) => (s as PromiseFulfilledResult<DeliverAlertResult>).value);
}

async function publishAndMark(deps: DeliverAlertDeps, entry: AlertLogEntry): Promise<DeliverAlertResult> {
  let messageId: string;
  try {
    ({ messageId } = await deps.publisher.publish(alertMessageOf(entry.key, entry.candidate, entry.message)));
  } catch (error) {
    // Most likely nothing was sent (a timeout can hide a publish that went through: at-least-once again). Give the
    // lease up so the caller's retry publishes at once, even if it comes back sooner than the lease would run out
    // (a Lambda retry). Best effort: if this fails too, the lease simply expires.
    await deps.alertLog.release(entry.key, entry.attempts, deps.clock.now()).catch(() => undefined);
    throw error;
  }
  await deps.alertLog.markSent(entry.key, deps.clock.now(), messageId);
  return { key: entry.key, outcome: 'sent', messageId };
}
