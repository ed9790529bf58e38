/**
 * What an alert is before it is sent: who receives it, which rule fired, for which threshold and period, and the
 * numbers its text quotes. Rules (rules.ts) produce candidates; `alertKey` identifies one for deduplication.
 *
 * DESIGN invariant 7: each alert fires once per recipient, rule, threshold and period, and reaches only its own
 * customer or partner. The key therefore holds exactly those four, plus the subscription: a customer or partner with
 * several subscriptions gets one alert per subscription (each subscription has its own budget and credit levels).
 */

import type { DayKey, MonthKey } from '#shared/domain/alerts/calendar.ts';
import type { CreditLevelName } from '#shared/domain/alerts/settings.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';

export type RecipientKind = 'customer' | 'partner';

/** Who an alert is for. Its contacts are registered under the same recipient, so they receive nothing else. */
export interface AlertRecipient {
  readonly kind: RecipientKind;
  readonly id: string;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';

/**
 * The rules of seeds/000_* (Cloud-All), plus the notice the partner gets when a purchase change is refused.
 * - customer: `budgetThreshold`, `budgetForecast`, `spike`;
 * - partner: `provisionalCreditExceeded`, `monthStartBlocked` (the month-start check), `currentStatusBlocked` (the
 *   same check made when the link or its purchase-blocked level is set during a month: named as the current status,
 *   not as a month start), `chargesOverCreditLevel`, `plannedOverCreditLevel`, `purchaseChangeRejected`.
 */
export type AlertRule =
  | 'budgetThreshold'
  | 'budgetForecast'
  | 'spike'
  | 'provisionalCreditExceeded'
  | 'monthStartBlocked'
  | 'currentStatusBlocked'
  | 'chargesOverCreditLevel'
  | 'plannedOverCreditLevel'
  | 'purchaseChangeRejected';

export const ALERT_RULES: readonly AlertRule[] = [
  'budgetThreshold',
  'budgetForecast',
  'spike',
  'provisionalCreditExceeded',
  'monthStartBlocked',
  'currentStatusBlocked',
  'chargesOverCreditLevel',
  'plannedOverCreditLevel',
  'purchaseChangeRejected',
];

/** The numbers (and day/month keys) each rule's text quotes. */
export interface AlertFactsByRule {
  readonly budgetThreshold: { readonly monthToDate: Money; readonly planned: Money };
  readonly budgetForecast: {
    readonly monthToDate: Money;
    readonly forecast: Money;
    readonly planned: Money;
    /**
     * What the forecast is based on (rules.ts THE FORECAST EVIDENCE RULE): the local days of the usage it projects,
     * first and last, and how many whole days that usage covers. Absent from alerts recorded before the rule existed.
     */
    readonly basisFrom?: DayKey;
    readonly basisTo?: DayKey;
    readonly basisDays?: string;
  };
  readonly spike: {
    readonly dayAmount: Money;
    /** The earlier day the spike is measured against (of the two previous days, the one it exceeds most). */
    readonly comparedDay: DayKey;
    readonly comparedAmount: Money;
    /** The day is not over yet: the alert fired as soon as its charges so far crossed (intraday). */
    readonly partialDay: boolean;
  };
  readonly provisionalCreditExceeded: {
    readonly monthToDate: Money;
    readonly provisionalCredit: Money;
    /**
     * `planned`: no whole month with charges among the last six yet (at first, 初期), so the planned amount;
     * `sixMonthMax`: the largest month of the last six (credit.ts THE PROVISIONAL CREDIT RULE).
     */
    readonly basis: 'planned' | 'sixMonthMax';
  };
  readonly monthStartBlocked: {
    readonly largestMonthlyCharge: Money;
    readonly largestMonth: MonthKey;
    readonly purchaseBlocked: Money;
  };
  readonly currentStatusBlocked: {
    readonly largestMonthlyCharge: Money;
    readonly largestMonth: MonthKey;
    readonly purchaseBlocked: Money;
  };
  readonly chargesOverCreditLevel: { readonly monthToDate: Money; readonly levelAmount: Money };
  readonly plannedOverCreditLevel: { readonly planned: Money; readonly levelAmount: Money };
  readonly purchaseChangeRejected: {
    readonly currentPlanId: string;
    readonly requestedPlanId: string;
    /** Seats asked for; '' when the change is not about seats. */
    readonly requestedQuantity: string;
    readonly currentPrice: Money;
    readonly newPrice: Money;
  };
}

interface CandidateOf<R extends AlertRule> {
  readonly recipient: AlertRecipient;
  readonly rule: R;
  /**
   * The threshold crossed, where the rule has several: a budget fraction (`'0.5'`) or a credit level name
   * (`'approvalRequired'`). Absent for rules with a single condition.
   */
  readonly threshold?: string;
  /**
   * The period the alert is once per: a month `YYYY-MM` or a day `YYYY-MM-DD` in the time zone, an operation id, or
   * (`currentStatusBlocked`) the ISO instant the purchase-blocked level was set.
   */
  readonly periodKey: string;
  readonly severity: AlertSeverity;
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly facts: AlertFactsByRule[R];
}

/** An alert a rule wants to send; whether it is new is decided by the alert log (`alertKey`). */
export type AlertCandidate = { [R in AlertRule]: CandidateOf<R> }[AlertRule];

/** `customer:<id>` or `partner:<id>`: the form used in SNS message attributes and filter policies. */
export function recipientAddress(recipient: AlertRecipient): string {
  return `${recipient.kind}:${recipient.id}`;
}

/**
 * The recipient a `recipientAddress` names (the id is everything after the first colon, so it may hold colons).
 * @throws {ValidationError} when the address is not `customer:<id>` or `partner:<id>`.
 */
export function recipientFromAddress(address: string): AlertRecipient {
  const match = /^(customer|partner):(.+)$/s.exec(address);
  if (!match?.[1] || !match[2]) {
    throw new ValidationError(`"${address}" is not a recipient: expected customer:<id> or partner:<id>`, 'recipient');
  }
  return { kind: match[1] as RecipientKind, id: match[2] };
}

/**
 * The deduplication key of a candidate: recipient, subscription, rule, threshold and period (invariant 7).
 * Each part is percent-encoded so that no id can fake a separator. Evaluating the same inputs again yields the same
 * key, so the alert log's conditional write lets the alert out once.
 */
export function alertKey(candidate: AlertCandidate): string {
  return [
    recipientAddress(candidate.recipient),
    candidate.subscriptionId,
    candidate.rule,
    candidate.threshold ?? '-',
    candidate.periodKey,
  ]
    .map(encodeURIComponent)
    .join('|');
}

/** A fact as stored: amounts as `{ amount, currency }` with a decimal string, never a float. */
export type StoredFact = string | boolean | { readonly amount: string; readonly currency: string };

/** `optionalString`: a fact added after alerts were first recorded, so older records lack it. */
type FactKind = 'money' | 'string' | 'boolean' | 'optionalString';

/** The shape of each rule's facts, so stored alerts are read back checked, not cast. */
const FACT_SHAPES: { readonly [R in AlertRule]: { readonly [F in keyof AlertFactsByRule[R]]-?: FactKind } } = {
  budgetThreshold: { monthToDate: 'money', planned: 'money' },
  budgetForecast: {
    monthToDate: 'money',
    forecast: 'money',
    planned: 'money',
    basisFrom: 'optionalString',
    basisTo: 'optionalString',
    basisDays: 'optionalString',
  },
  spike: { dayAmount: 'money', comparedDay: 'string', comparedAmount: 'money', partialDay: 'boolean' },
  provisionalCreditExceeded: { monthToDate: 'money', provisionalCredit: 'money', basis: 'string' },
  monthStartBlocked: { largestMonthlyCharge: 'money', largestMonth: 'string', purchaseBlocked: 'money' },
  currentStatusBlocked: { largestMonthlyCharge: 'money', largestMonth: 'string', purchaseBlocked: 'money' },
  chargesOverCreditLevel: { monthToDate: 'money', levelAmount: 'money' },
  plannedOverCreditLevel: { planned: 'money', levelAmount: 'money' },
  purchaseChangeRejected: {
    currentPlanId: 'string',
    requestedPlanId: 'string',
    requestedQuantity: 'string',
    currentPrice: 'money',
    newPrice: 'money',
  },
};

/** Facts in their stored form (amounts as decimal strings with their currency). */
export function factsToStored(candidate: AlertCandidate): Record<string, StoredFact> {
  const stored: Record<string, StoredFact> = {};
  for (const [name, value] of Object.entries(candidate.facts as Record<string, Money | string | boolean | undefined>)) {
    if (value === undefined) continue;
    stored[name] = value instanceof Money ? { amount: value.toDecimalString(), currency: value.currency } : value;
  }
  return stored;
}

/**
 * Rebuilds a candidate's facts from their stored form, checking each against the rule's shape.
 * @throws {ValidationError} when the rule is unknown or a fact is missing or of the wrong kind.
 */
export function factsFromStored<R extends AlertRule>(
  rule: R,
  stored: Readonly<Record<string, unknown>>,
): AlertFactsByRule[R] {
  const shape = FACT_SHAPES[rule] as Readonly<Record<string, FactKind>> | undefined;
  if (!shape) throw new ValidationError(`unknown alert rule "${rule}"`, 'rule');
  const facts: Record<string, Money | string | boolean> = {};
  for (const [name, kind] of Object.entries(shape)) {
    const value = stored[name];
    if (kind === 'money') {
      if (typeof value !== 'object' || value === null) {
        throw new ValidationError(`fact ${name} of a ${rule} alert is not an amount`, `facts.${name}`);
      }
      const { amount, currency } = value as { amount?: unknown; currency?: unknown };
      if (typeof amount !== 'string' || typeof currency !== 'string') {
        throw new ValidationError(`fact ${name} of a ${rule} alert is not an amount`, `facts.${name}`);
      }
      facts[name] = Money.of(amount, currency);
    } else if (kind === 'optionalString') {
      if (value === undefined) continue;
      if (typeof value !== 'string') {
        throw new ValidationError(`fact ${name} of a ${rule} alert is not a string`, `facts.${name}`);
      }
      facts[name] = value;
    } else if (typeof value !== kind) {
      throw new ValidationError(`fact ${name} of a ${rule} alert is not a ${kind}`, `facts.${name}`);
    } else {
      facts[name] = value as string | boolean;
    }
  }
  if (rule === 'provisionalCreditExceeded' && facts.basis !== 'planned' && facts.basis !== 'sixMonthMax') {
    throw new ValidationError('fact basis of a provisionalCreditExceeded alert is not planned or sixMonthMax', 'facts');
  }
  return facts as unknown as AlertFactsByRule[R];
}

/** Severity of a credit level alert: the warning level informs, the other two change what the customer may buy. */
export function creditLevelSeverity(level: CreditLevelName): AlertSeverity {
  return level === 'warning' ? 'warning' : 'critical';
}
