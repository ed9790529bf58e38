import type { Context } from 'aws-lambda';

/** How long before the function's timeout an invocation stops starting new work. */
export interface TimeoutMargin {
  /** Enough for the invocation to finish what it started, report what it did and return. */
  readonly ms: number;
  /**
   * Shrink the margin to a tenth of the time left when that is less: for scheduled runs, so that one started with less
   * time than usual (a manual run with a short timeout) still spends most of it working rather than waiting out a
   * margin sized for the full timeout. Not for a margin that must stay whole (an SQS batch response).
   */
  readonly shrinkWithTimeLeft?: boolean;
}

/**
 * The instant an invocation should stop starting new work so that Lambda never cuts it off mid-step: the time left
 * (`context.getRemainingTimeInMillis()`) less the margin, from `now`. A cut-off invocation reports nothing, and for an
 * SQS batch it means a redelivery of records already applied; stopping early only leaves work to the next run.
 *
 * The one place this rule is written, for every function whose work is bounded by its own timeout (the scheduled
 * alert checks and subscription sync, the usage aggregator's alert evaluation); their use cases take the instant as
 * `stopAt`, measured with the same clock.
 * @returns undefined when the context cannot tell the time left (a test or a local call without a Lambda context).
 */
export function stopBeforeTimeout(
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
  now: Date,
  margin: TimeoutMargin,
): Date | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined) return undefined;
  const marginMs = margin.shrinkWithTimeLeft ? Math.min(margin.ms, remaining / 10) : margin.ms;
  return new Date(now.getTime() + remaining - marginMs);
}
