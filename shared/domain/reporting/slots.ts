/**
 * What the reporter keeps per hourly slot and per meter (rules 2, 3, 5–8 of README.md): the slot's one
 * submission, the aggregator's sums with the reporter's accounting, and the carries waiting to be folded forward.
 */
import type { DimensionTally } from '#shared/domain/allowance.ts';
import { Dec } from '#shared/domain/money.ts';
import type { TermUsage } from './term-usage.ts';

const ZERO = new Dec(0);

/** What became of a slot's one submission. `pending` is the only state that is not final. */
export type SubmissionState =
  | 'pending'
  | 'included'
  | 'accepted'
  | 'duplicateMismatch'
  | 'expiredFolded'
  | 'unreportable'
  | 'rejected';

export const FINAL_SUBMISSION_STATES: readonly SubmissionState[] = [
  'included',
  'accepted',
  'duplicateMismatch',
  'expiredFolded',
  'unreportable',
  'rejected',
];

/** Why usage cannot be reported (rule 7, rule 8, rule 9). */
export type UnreportableReason = 'notSubscribed' | 'subscriptionEnded' | 'ResourceNotActive' | 'ResourceNotFound';

/**
 * The one submission of a slot. Quantities are exact decimal strings. `quantity`, `planId` and
 * `effectiveStartTime` are fixed when the submission is written ahead and never change afterwards.
 */
export interface SlotSubmission {
  readonly state: SubmissionState;
  /** The event's quantity: overage of the hour plus carried overage; `0` when nothing is sent. */
  readonly quantity: string;
  /** The plan in force in the hour (the event's planId); absent when the hour was not rated. */
  readonly planId?: string;
  /** Start of the UTC hour, ISO 8601 with `Z` (§6.8). */
  readonly effectiveStartTime: string;
  /** Usage rated in this hour: the slot's delta plus carried (late) usage. */
  readonly ratedUsage?: string;
  /** The part of `ratedUsage` covered by the term's included quantity. */
  readonly consumedIncluded?: string;
  /** The overage of `ratedUsage` (= `quantity` − `carriedOverage`). */
  readonly overage?: string;
  /** Usage of earlier hours rated here (`MeterState.carryUsage`). */
  readonly carriedUsage?: string;
  /** Overage of earlier hours added here: of late usage, rated in its own term (rule 5), or of Expired events (6). */
  readonly carriedOverage?: string;
  /** Start of the term the hour was rated in. */
  readonly termStart?: string;
  /** Microsoft's id of the accepted event (Accepted, or the original behind a Duplicate). */
  readonly usageEventId?: string;
  /** The quantity Microsoft holds for the slot (Accepted: ours; Duplicate: the original's). */
  readonly acceptedQuantity?: string;
  /** The status Microsoft answered last (raw, for the record). */
  readonly answer?: string;
  /** Why the slot ended unreportable, rejected or folded. */
  readonly reason?: string;
  /** Calls that carried this event without a final answer before the current one. */
  readonly attempts: number;
  readonly preparedAt: string;
  readonly answeredAt?: string;
}

/** A slot as the reporter sees it: the aggregator's sums plus the reporter's accounting. */
export interface ReportingSlot {
  readonly subscriptionId: string;
  readonly offerId: string;
  readonly dimension: string;
  /** Start of the UTC hour, ISO with milliseconds (`Date.toISOString()`). */
  readonly hour: string;
  /** Everything aggregated into the slot so far (exact). `0` for a slot that does not exist yet. */
  readonly quantity: Dec;
  readonly accountedQuantity: Dec;
  /** Usage that arrived after the hour was rated: rated in its own term, its overage folded forward (rule 5). */
  readonly lateQuantity: Dec;
  /** Usage of the slot that can never be reported (rule 7). */
  readonly unreportableQuantity: Dec;
  readonly submission?: SlotSubmission;
  /** Whether the slot is in the "unreported" index. */
  readonly indexed: boolean;
  /** Incremented by every reporter write to the slot: guards read-decide-write against a concurrent reporter. */
  readonly reportVersion: number;
}

/** Per (subscription, dimension): the allowance tally and what is waiting to be folded forward. */
export interface MeterState {
  readonly subscriptionId: string;
  readonly dimension: string;
  /** 0 before the first write; every write increments it (optimistic concurrency). */
  readonly version: number;
  /** The allowance tally of `allowance.ts` (term start, usage in term, last rated hour); absent before the first. */
  readonly tally?: DimensionTally;
  /**
   * Usage rated in each recent term, by plan segment (term-usage.ts): what rates late usage in its own term (rule 5).
   * Absent on meters stored before it was kept.
   */
  readonly terms?: readonly TermUsage[];
  /** Terms starting before this have no record in `terms` (term-usage.ts `termRecordsOf`). */
  readonly termsKnownFrom?: Date;
  /**
   * Usage of earlier hours waiting to be rated with the next reportable hour: only late usage of a term whose usage is
   * not recorded (a meter stored before `terms` was kept), and what such meters carried under the earlier rule 5.
   */
  readonly carryUsage: Dec;
  /** Rated overage waiting to be added to the next event: of late usage (rule 5) and of Expired events (rule 6). */
  readonly carryOverage: Dec;
  /** Hour (ISO) from which the carry has been waiting: its age is what the unreported-age alarm watches. */
  readonly carrySince?: string;
  /** Total late usage ever folded forward (for the record and metrics). */
  readonly lateTotal: Dec;
  /** Carry that could never be reported (rule 8). */
  readonly unreportableCarry: Dec;
}

/** A meter before its first write. */
export function emptyMeter(subscriptionId: string, dimension: string): MeterState {
  return {
    subscriptionId,
    dimension,
    version: 0,
    carryUsage: ZERO,
    carryOverage: ZERO,
    lateTotal: ZERO,
    unreportableCarry: ZERO,
  };
}

/** Whether the meter holds anything to fold forward. */
export function hasCarry(meter: MeterState): boolean {
  return meter.carryUsage.greaterThan(0) || meter.carryOverage.greaterThan(0);
}
