/**
 * (Over 400 lines: each setting is parsed beside the rules its values must keep; the four belong together.)
 * Alert settings: a customer's budget (seeds/000_*, 利用予定金額), reseller partners, the three credit levels a
 * partner sets per customer (警告 / 要承認 / 購入不可) and the partner's approvals of specific purchase changes.
 *
 * Each `parse…` function turns caller input (already shaped by the API's zod schema at the edge) into a validated
 * domain value with defaults applied, or throws a `ValidationError` naming the field to fix.
 *
 * Scope: settings are per marketplace subscription, which is the unit the rating engine charges and the fulfillment
 * webhook changes. `customerId` names the customer the subscription belongs to (use the beneficiary's Entra tenant
 * id): it is the alert recipient, so all contacts registered for a customer receive the alerts of all of its
 * subscriptions, and nobody else's.
 */

import { DEFAULT_TIME_ZONE, isValidTimeZone } from '#shared/domain/alerts/calendar.ts';
import type { CurrencyCode } from '#shared/domain/catalog.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Dec, Money } from '#shared/domain/money.ts';
import type { Subscription } from '#shared/domain/subscription.ts';

/** Languages of the alert texts (templates.ts). */
export type AlertLocale = 'ja' | 'en';
export const ALERT_LOCALES: readonly AlertLocale[] = ['ja', 'en'];

/** Where a recipient's alerts go: e-mail addresses and mobile numbers in E.164 (`+819012345678`). */
export interface Contacts {
  readonly emails: readonly string[];
  readonly phones: readonly string[];
}

/** The seed's example threshold is 50% (seeds/000_*: 利用予定額の50%に達した時); 80% and 100% follow common practice. */
export const DEFAULT_THRESHOLDS: readonly string[] = ['0.5', '0.8', '1'];

/**
 * Fraction of the planned monthly amount below which a day's charges never count as a spike, when no minimum is
 * set: a day that costs less than 1% of the month's plan is not worth a text message, whatever it doubled from.
 */
export const DEFAULT_SPIKE_MINIMUM_FRACTION = '0.01';

/**
 * Amounts in settings (planned monthly amounts, spike minimums, credit levels): at most 15 digits before the decimal
 * point (under 10^15: a quadrillion yen, far beyond any budget), at most the currency's minor-unit decimals. One rule
 * for what the API accepts and what a stored value must satisfy when read back: the stored form
 * (`Money.toDecimalString`, which pads to the minor unit) of an accepted amount is at most 19 characters, so it
 * always parses again (a 40-digit amount was once accepted, stored with ".00" appended as 43 characters and then refused on every read).
 */
export const MAX_AMOUNT_INTEGER_DIGITS = 15;
/** Longest amount text the API takes (leading zeros included); the value is then bounded by the digits above. */
export const MAX_AMOUNT_TEXT_LENGTH = 40;
const AMOUNT_LIMIT = new Dec(10).pow(MAX_AMOUNT_INTEGER_DIGITS);

const MAX_THRESHOLDS = 10;
// 1000% is far beyond any useful budget alert; the cap catches a percentage typed where a fraction was meant (50 for 0.5).
const MAX_THRESHOLD = new Dec(10);
const MAX_CONTACTS = 10;
// RFC 5321 caps a path at 254 characters; the shape check is deliberately loose (SNS confirms the address by mail).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL_LENGTH = 254;
// E.164: a plus, a country code not starting with 0, at most 15 digits in all (ITU-T E.164 §6; what SNS SMS takes).
const E164 = /^\+[1-9]\d{1,14}$/;

/** A customer's monthly budget for one subscription and how to reach the customer. */
export interface BudgetSettings {
  readonly subscriptionId: string;
  /** The customer this subscription belongs to (the alert recipient `customer:<customerId>`). */
  readonly customerId: string;
  /** 利用予定金額: what the customer plans to spend per calendar month. */
  readonly plannedMonthlyAmount: Money;
  /** Fractions of the planned amount, ascending and normalised ("0.50" → "0.5"), e.g. `['0.5', '0.8', '1']`. */
  readonly thresholds: readonly string[];
  /** Also alert when the forecast to the month end exceeds the planned amount. */
  readonly forecastAlert: boolean;
  /** A day's usage charges below this never count as a spike (same currency as the planned amount). */
  readonly spikeMinimumAmount: Money;
  /** IANA time zone whose calendar months and days the budget follows. */
  readonly timeZone: string;
  readonly locale: AlertLocale;
  readonly contacts: Contacts;
}

/**
 * The customer a subscription's alert settings belong to: its beneficiary's Entra tenant (see the module comment).
 * Taken from the stored subscription, never from a caller's input: the customer id routes alerts, so a caller must not
 * be able to send its alerts to someone else's recipient.
 */
export function customerIdOf(subscription: Subscription): string {
  return subscription.beneficiary.tenantId;
}

/** An amount as it arrives from the API: a decimal string and an ISO 4217 code. */
export interface AmountInput {
  readonly amount: string;
  readonly currency: CurrencyCode;
}

export interface BudgetSettingsInput {
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly plannedMonthlyAmount: AmountInput;
  /** Decimal fractions (default 0.5, 0.8, 1). */
  readonly thresholds?: readonly string[];
  readonly forecastAlert?: boolean;
  /** Default: 1% of the planned monthly amount. */
  readonly spikeMinimumAmount?: AmountInput;
  /** Default `UTC`. */
  readonly timeZone?: string;
  /** Default `en`. */
  readonly locale?: string;
  readonly contacts?: { readonly emails?: readonly string[]; readonly phones?: readonly string[] };
}

/**
 * Validates a budget and applies the defaults.
 * @throws {ValidationError} naming the field: blank ids, an amount that is not a positive decimal with at most the
 *   currency's minor-unit decimals, thresholds outside (0, 10] or repeated, an unknown time zone or locale,
 *   a malformed e-mail address or a phone number not in E.164, too many contacts.
 */
export function parseBudgetSettings(input: BudgetSettingsInput): BudgetSettings {
  const subscriptionId = requireId(input.subscriptionId, 'subscriptionId');
  const customerId = requireId(input.customerId, 'customerId');
  const planned = parseAmount(input.plannedMonthlyAmount, 'plannedMonthlyAmount');
  if (planned.isZero()) {
    throw new ValidationError('the planned monthly amount must be greater than zero', 'plannedMonthlyAmount.amount');
  }
  const spikeMinimumAmount =
    input.spikeMinimumAmount === undefined
      ? planned.multiply(DEFAULT_SPIKE_MINIMUM_FRACTION).roundToMinorUnit()
      : parseAmount(input.spikeMinimumAmount, 'spikeMinimumAmount');
  if (spikeMinimumAmount.currency !== planned.currency) {
    throw new ValidationError(
      `the spike minimum must be in ${planned.currency}, the currency of the planned amount`,
      'spikeMinimumAmount.currency',
    );
  }
  return {
    subscriptionId,
    customerId,
    plannedMonthlyAmount: planned,
    thresholds: parseThresholds(input.thresholds ?? DEFAULT_THRESHOLDS),
    forecastAlert: input.forecastAlert ?? false,
    spikeMinimumAmount,
    timeZone: parseTimeZone(input.timeZone ?? DEFAULT_TIME_ZONE),
    locale: parseLocale(input.locale ?? 'en'),
    contacts: parseContacts(input.contacts ?? {}, 'contacts'),
  };
}

/** A reseller partner (the distributor of seeds/000_*): sells subscriptions to many customers. */
export interface Partner {
  readonly id: string;
  readonly name: string;
  /** The partner's Entra tenant: a purchase whose purchaser is this tenant is a reseller purchase by this partner. */
  readonly tenantId: string;
  readonly locale: AlertLocale;
  /**
   * IANA time zone whose calendar months the partner's credit rules follow (month to date, the six closed months,
   * the month-start check). Absent: the publisher's time zone (setting `PUBLISHER_TIME_ZONE`, default UTC), so a
   * Japanese reseller's month starts at 00:00 in Tokyo, not at 09:00 (00:00 UTC).
   */
  readonly timeZone?: string;
  readonly contacts: Contacts;
}

export interface PartnerInput {
  readonly id: string;
  readonly name: string;
  readonly tenantId: string;
  readonly locale?: string;
  readonly timeZone?: string;
  readonly contacts?: { readonly emails?: readonly string[]; readonly phones?: readonly string[] };
}

/**
 * Validates a partner (default locale `en`; no time zone: the publisher's applies).
 * @throws {ValidationError} naming the field: blank id, name or tenant id, unknown locale or time zone, malformed
 *   contacts.
 */
export function parsePartner(input: PartnerInput): Partner {
  return {
    id: requireId(input.id, 'id'),
    name: requireText(input.name, 'name', 200),
    tenantId: requireId(input.tenantId, 'tenantId'),
    locale: parseLocale(input.locale ?? 'en'),
    ...(input.timeZone === undefined ? {} : { timeZone: parseTimeZone(input.timeZone) }),
    contacts: parseContacts(input.contacts ?? {}, 'contacts'),
  };
}

/** The time zone of a partner's months: its own, else the publisher's, else UTC. */
export function partnerTimeZone(partner: Pick<Partner, 'timeZone'> | undefined, publisherTimeZone?: string): string {
  return partner?.timeZone ?? publisherTimeZone ?? DEFAULT_TIME_ZONE;
}

/**
 * The three credit levels a partner sets per customer (seeds/000_*: 警告 / 要承認 / 購入不可). A customer whose
 * charges or planned amount exceed a level is at that level: warning only informs the partner; approval required
 * makes price-raising plan or quantity changes wait for the partner's approval; purchase blocked refuses them.
 */
export interface CreditLevels {
  readonly warning: Money;
  readonly approvalRequired: Money;
  readonly purchaseBlocked: Money;
}

export type CreditLevelName = keyof CreditLevels;
/** Ascending order of severity. */
export const CREDIT_LEVEL_NAMES: readonly CreditLevelName[] = ['warning', 'approvalRequired', 'purchaseBlocked'];

export interface CreditLevelsInput {
  readonly warning: AmountInput;
  readonly approvalRequired: AmountInput;
  readonly purchaseBlocked: AmountInput;
}

/**
 * Validates credit levels.
 * @throws {ValidationError} when an amount is not a non-negative decimal, the currencies differ, or the levels are
 *   not strictly increasing (warning < approval required < purchase blocked).
 */
export function parseCreditLevels(input: CreditLevelsInput): CreditLevels {
  const levels: CreditLevels = {
    warning: parseAmount(input.warning, 'warning'),
    approvalRequired: parseAmount(input.approvalRequired, 'approvalRequired'),
    purchaseBlocked: parseAmount(input.purchaseBlocked, 'purchaseBlocked'),
  };
  for (const name of CREDIT_LEVEL_NAMES) {
    if (levels[name].currency !== levels.warning.currency) {
      throw new ValidationError(`all credit levels must be in ${levels.warning.currency}`, `${name}.currency`);
    }
  }
  if (levels.warning.compare(levels.approvalRequired) >= 0) {
    throw new ValidationError('the approval-required level must be above the warning level', 'approvalRequired');
  }
  if (levels.approvalRequired.compare(levels.purchaseBlocked) >= 0) {
    throw new ValidationError(
      'the purchase-blocked level must be above the approval-required level',
      'purchaseBlocked',
    );
  }
  return levels;
}

/** The link between a partner and one of its customers' subscriptions, with the credit levels set for it. */
export interface CreditLink {
  readonly partnerId: string;
  readonly customerId: string;
  readonly subscriptionId: string;
  readonly levels: CreditLevels;
  /**
   * When the purchase-blocked level took its current value (the link was made, or that level changed). A level set
   * during a month is checked at once as the "current status" instead of waiting for the next month start
   * (credit.ts `monthStartCheck`). Absent on links stored before it was kept: set before any month in question.
   */
  readonly purchaseBlockedLevelSetAt?: Date;
  /** The partner's last explicit release of a month-start purchase block (it lifts the check it was given after). */
  readonly purchaseBlockRelease?: PurchaseBlockRelease;
}

/** A partner's explicit release of the purchase block of a month-start (or current-status) check. */
export interface PurchaseBlockRelease {
  readonly at: Date;
  /** Who released it: `partner:<id>` or `publisher`. */
  readonly by: string;
}

/**
 * A partner's approval of a price-raising change for a customer at the approval-required level. Without `planId` any
 * plan is approved; without `maxQuantity` any quantity. It stays usable until it expires (not consumed by use, so a
 * marketplace retry of the same change is accepted too).
 */
export interface PurchaseApproval {
  readonly id: string;
  readonly partnerId: string;
  readonly subscriptionId: string;
  readonly planId?: string;
  readonly maxQuantity?: number;
  readonly approvedAt: Date;
  readonly expiresAt: Date;
}

export interface PurchaseApprovalInput {
  readonly id: string;
  readonly partnerId: string;
  readonly subscriptionId: string;
  readonly planId?: string;
  readonly maxQuantity?: number;
  readonly expiresAt: string | Date;
}

/** Longest an approval may run: a forgotten approval must not keep the door open for good. */
export const MAX_APPROVAL_DAYS = 90;

/**
 * Validates an approval given at `now`.
 * @throws {ValidationError} naming the field: blank ids, a quantity that is not a positive integer, an expiry that is
 *   not a date after `now` or more than 90 days after it.
 */
export function parsePurchaseApproval(input: PurchaseApprovalInput, now: Date): PurchaseApproval {
  const expiresAt = input.expiresAt instanceof Date ? input.expiresAt : new Date(input.expiresAt);
  if (Number.isNaN(expiresAt.getTime())) {
    throw new ValidationError('expiresAt must be an ISO 8601 date-time', 'expiresAt');
  }
  if (expiresAt.getTime() <= now.getTime()) throw new ValidationError('expiresAt must be in the future', 'expiresAt');
  if (expiresAt.getTime() > now.getTime() + MAX_APPROVAL_DAYS * 86_400_000) {
    throw new ValidationError(`an approval may run for at most ${MAX_APPROVAL_DAYS} days`, 'expiresAt');
  }
  if (input.maxQuantity !== undefined && (!Number.isInteger(input.maxQuantity) || input.maxQuantity < 1)) {
    throw new ValidationError('maxQuantity must be a positive whole number of seats', 'maxQuantity');
  }
  return {
    id: requireId(input.id, 'id'),
    partnerId: requireId(input.partnerId, 'partnerId'),
    subscriptionId: requireId(input.subscriptionId, 'subscriptionId'),
    ...(input.planId === undefined ? {} : { planId: requireId(input.planId, 'planId') }),
    ...(input.maxQuantity === undefined ? {} : { maxQuantity: input.maxQuantity }),
    approvedAt: now,
    expiresAt,
  };
}

/**
 * Validates contacts: e-mail addresses and E.164 phone numbers, each list without repeats and at most 10 long.
 * @throws {ValidationError} naming the offending entry, e.g. `contacts.phones[1]`.
 */
export function parseContacts(
  input: { readonly emails?: readonly string[]; readonly phones?: readonly string[] },
  field: string,
): Contacts {
  const emails = unique((input.emails ?? []).map((e) => e.trim()));
  const phones = unique((input.phones ?? []).map((p) => p.trim()));
  if (emails.length > MAX_CONTACTS) {
    throw new ValidationError(`at most ${MAX_CONTACTS} e-mail addresses`, `${field}.emails`);
  }
  if (phones.length > MAX_CONTACTS) {
    throw new ValidationError(`at most ${MAX_CONTACTS} phone numbers`, `${field}.phones`);
  }
  emails.forEach((email, i) => {
    if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) {
      throw new ValidationError(`"${email}" is not an e-mail address`, `${field}.emails[${i}]`);
    }
  });
  phones.forEach((phone, i) => {
    if (!E164.test(phone)) {
      throw new ValidationError(
        `"${phone}" is not a phone number in E.164 form (a plus, the country code, the number: +819012345678)`,
        `${field}.phones[${i}]`,
      );
    }
  });
  return { emails, phones };
}

/** @throws {ValidationError} when the locale is not `ja` or `en`. */
export function parseLocale(locale: string): AlertLocale {
  if (!(ALERT_LOCALES as readonly string[]).includes(locale)) {
    throw new ValidationError(`locale must be one of ${ALERT_LOCALES.join(', ')}; got "${locale}"`, 'locale');
  }
  return locale as AlertLocale;
}

/** @throws {ValidationError} when the zone is not an IANA time zone. */
export function parseTimeZone(timeZone: string): string {
  if (!isValidTimeZone(timeZone)) {
    throw new ValidationError(`"${timeZone}" is not an IANA time zone such as "Asia/Tokyo" or "UTC"`, 'timeZone');
  }
  return timeZone;
}

/**
 * Thresholds as fractions, normalised and ascending.
 * @throws {ValidationError} when empty, too many, not a decimal in (0, 10], or repeated.
 */
export function parseThresholds(thresholds: readonly string[]): string[] {
  if (thresholds.length === 0 || thresholds.length > MAX_THRESHOLDS) {
    throw new ValidationError(`give between 1 and ${MAX_THRESHOLDS} thresholds`, 'thresholds');
  }
  const parsed = thresholds.map((raw, i) => {
    let value: Dec;
    try {
      value = new Dec(raw);
    } catch (cause) {
      throw new ValidationError(`"${raw}" is not a decimal fraction such as 0.5`, `thresholds[${i}]`, { cause });
    }
    if (!value.isFinite() || value.lte(0) || value.gt(MAX_THRESHOLD)) {
      throw new ValidationError(
        `threshold ${raw} must be a fraction of the planned amount above 0 and at most 10 (0.5 is 50%)`,
        `thresholds[${i}]`,
      );
    }
    return value;
  });
  const sorted = [...parsed].sort((a, b) => a.comparedTo(b));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.equals(sorted[i - 1] as Dec)) {
      throw new ValidationError(`threshold ${sorted[i]?.toString()} is given twice`, 'thresholds');
    }
  }
  return sorted.map((t) => t.toString());
}

function parseAmount(input: AmountInput, field: string): Money {
  let money: Money;
  try {
    money = Money.of(requireText(input.amount, `${field}.amount`, MAX_AMOUNT_TEXT_LENGTH), input.currency);
  } catch (error) {
    // Money names its own fields (`amount`, `currency`); say where in the settings the bad value is.
    if (error instanceof ValidationError && error.field !== `${field}.amount`) {
      throw new ValidationError(error.message, `${field}.${error.field ?? 'amount'}`, { cause: error });
    }
    throw error;
  }
  if (money.isNegative()) throw new ValidationError('the amount cannot be negative', `${field}.amount`);
  if (money.amount.gte(AMOUNT_LIMIT)) {
    throw new ValidationError(
      `the amount must have at most ${MAX_AMOUNT_INTEGER_DIGITS} digits before the decimal point`,
      `${field}.amount`,
    );
  }
  if (!money.isRoundedToMinorUnit()) {
    throw new ValidationError(
      `${money.toString()} has more decimals than the ${money.currency} minor unit`,
      `${field}.amount`,
    );
  }
  return money;
}

function requireId(value: string, field: string): string {
  return requireText(value, field, 200);
}

function requireText(value: string, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(`${field} must not be blank`, field);
  if (value.length > maxLength) throw new ValidationError(`${field} is longer than ${maxLength} characters`, field);
  return value.trim();
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
