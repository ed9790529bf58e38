/**
 * Prepaid term extensions ("day packs"), after the CodeMeter 30/90/365-day subscription model
 * (`../shared/seeds/002_*`, see DESIGN.md "Subscription terms and prepaid extensions"):
 *
 * - A pack is a bearer code worth a whole number of days of one product. Packs are issued in any number, sold
 *   through any channel (resellers included) and tied to a subscription only when redeemed.
 * - Redeeming while the subscription's prepaid term is active adds the days to the **end** of the term.
 * - Redeeming after the term expired starts a **new** term at the redemption instant: the customer does not pay
 *   for the gap (seed: 再契約は、新しいアクティベーション日から開始).
 * - An applied extension cannot be undone or split (seed: 取消し不可). This module has no operation that removes
 *   or moves an extension, on purpose.
 * - A pack extends only the product it was issued for.
 *
 * Pure: no clock, no crypto, no I/O. Time arrives as a `Date` argument; code hashing lives in
 * `shared/adapters/day-pack-codes.ts`.
 */
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';

/**
 * What a day pack extends: the marketplace **offer id** of the subscriptions it may extend.
 *
 * The seed matches packs to products by the item's display name; the offer id plays that role here because it is
 * the product identity the marketplace gives every SaaS subscription and, unlike a display name, never changes.
 * Packs are not tied to a plan: any plan of the offer is extended.
 */
export type ProductKey = string;

/** Milliseconds in one day. Terms are measured in instants, so a day is always 24 hours (no time zone, no DST). */
export const MS_PER_DAY = 86_400_000;

/**
 * Upper bound on a pack's days (about 100 years). The seed allows any number of days; the bound only keeps the
 * sums of term ends far inside the range of a JavaScript `Date`, whatever the number of redemptions.
 */
export const MAX_DAY_PACK_DAYS = 36_600;

/**
 * The prepaid term of one subscription: the period its prepaid days cover.
 * `end` is exclusive: the term covers every instant `t` with `start <= t < end`.
 */
export interface PrepaidTerm {
  readonly subscriptionId: string;
  readonly productKey: ProductKey;
  readonly start: Date;
  /** First instant no longer covered (exclusive end). */
  readonly end: Date;
  /** Packs merged into this term since it started (1 for a term started by a redemption). */
  readonly extensions: number;
}

/** Where and how a pack was used. Set once; never changed or removed. */
export interface DayPackRedemption {
  readonly subscriptionId: string;
  readonly redeemedAt: Date;
  /** The subscription's term just before this redemption; absent when the subscription had none. */
  readonly termBefore?: PrepaidTerm;
  readonly termAfter: PrepaidTerm;
}

/**
 * A prepaid day pack. Only the hash of its code is ever kept: the code is a bearer secret like a gift card and
 * is shown once, when issued.
 */
export interface DayPack {
  /** SHA-256 (hex) of the normalised code; see `normaliseDayPackCode`. */
  readonly codeHash: string;
  readonly productKey: ProductKey;
  /** Positive whole number of days (30, 90, 365 are typical). */
  readonly days: number;
  /** The reseller partner the pack was issued to, if any. */
  readonly partnerId?: string;
  readonly issuedAt: Date;
  readonly redemption?: DayPackRedemption;
}

/** A pack that has been redeemed. */
export type RedeemedDayPack = DayPack & { readonly redemption: DayPackRedemption };

/** The subscription a pack is redeemed for. */
export interface SubscriptionRef {
  readonly id: string;
  /** The subscription's offer id (see `ProductKey`). */
  readonly productKey: ProductKey;
}

/** `extended`: days added to the end of an active term; `newTerm`: no active term, a new one starts now. */
export type RedemptionOutcome = 'extended' | 'newTerm';

/** A redemption worked out against the current term, not yet stored. */
export interface PlannedRedemption {
  readonly outcome: RedemptionOutcome;
  readonly term: PrepaidTerm;
  readonly pack: RedeemedDayPack;
}

/** A pack for one product presented for a subscription of another (maps to 422 like any `ValidationError`). */
export class DayPackProductMismatchError extends ValidationError {
  constructor(
    readonly packProductKey: ProductKey,
    readonly subscriptionProductKey: ProductKey,
  ) {
    super(
      `This day pack is for product '${packProductKey}' and cannot extend a subscription to product ` +
        `'${subscriptionProductKey}'.`,
      'code',
    );
  }
}

/**
 * Builds a newly issued, unredeemed pack.
 *
 * @throws ValidationError when `days` is not a whole number in 1..MAX_DAY_PACK_DAYS, or the product key or
 *   partner id is blank.
 */
export function newDayPack(
  input: { codeHash: string; productKey: ProductKey; days: number; partnerId?: string },
  issuedAt: Date,
): DayPack {
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_DAY_PACK_DAYS) {
    throw new ValidationError(`days must be a whole number from 1 to ${MAX_DAY_PACK_DAYS}, got ${input.days}`, 'days');
  }
  if (input.productKey.trim() === '') throw new ValidationError('productKey must not be blank', 'productKey');
  if (input.partnerId !== undefined && input.partnerId.trim() === '') {
    throw new ValidationError('partnerId must not be blank when given', 'partnerId');
  }
  assertValidDate(issuedAt, 'issuedAt');
  return {
    codeHash: input.codeHash,
    productKey: input.productKey,
    days: input.days,
    ...(input.partnerId === undefined ? {} : { partnerId: input.partnerId }),
    issuedAt,
  };
}

// Dash-like characters people paste or type instead of '-': hyphen, non-breaking hyphen, figure/en/em dashes,
// minus sign, full-width hyphen-minus, and the katakana prolonged sound mark a Japanese IME produces for '-'.
const SEPARATORS = /[\s\-\u2010-\u2015\u2212\uFF0D\u30FC]/gu;

/**
 * The canonical form of a day-pack code, so that codes compare case-insensitively and ignoring dashes and spaces.
 *
 * Also folds full-width characters to ASCII (NFKC: codes typed with a Japanese IME) and applies Crockford
 * base32's reading rules (I and L read as 1, O as 0): generated codes never contain I, L, O, so this only
 * forgives misreadings, it never makes two issued codes equal.
 */
export function normaliseDayPackCode(code: string): string {
  return code.normalize('NFKC').replace(SEPARATORS, '').toUpperCase().replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** Whether the term still covers `at`. Precisely: active iff `at < term.end` (the end is exclusive). */
export function isTermActive(term: PrepaidTerm, at: Date): boolean {
  return at.getTime() < term.end.getTime();
}

/** What redeeming a pack at `at` does to `term`: extend it when active, otherwise start a new one. */
export function redemptionOutcome(term: PrepaidTerm | undefined, at: Date): RedemptionOutcome {
  return term !== undefined && isTermActive(term, at) ? 'extended' : 'newTerm';
}

/**
 * The subscription's term after redeeming `pack` at `now`:
 * - active term (`now < term.end`): same start, end moved later by `pack.days` days;
 * - expired term or none: a new term `[now, now + pack.days days)`; the expired gap is not charged.
 *
 * The result always ends later than `term` did, so a redemption never shortens a term.
 *
 * @throws DayPackProductMismatchError when the pack is for another product than the subscription.
 * @throws ConflictError when the pack is already redeemed (extensions are irreversible), or when `term` belongs to
 *   the subscription but records another product.
 */
export function applyDayPack(
  term: PrepaidTerm | undefined,
  pack: DayPack,
  subscription: SubscriptionRef,
  now: Date,
): PrepaidTerm {
  assertValidDate(now, 'now');
  if (pack.redemption !== undefined) {
    throw new ConflictError('This day pack has already been redeemed; an applied extension cannot be undone or moved.');
  }
  if (pack.productKey !== subscription.productKey) {
    throw new DayPackProductMismatchError(pack.productKey, subscription.productKey);
  }
  if (term !== undefined) {
    // A caller passing another subscription's term is a bug, not something a user can fix.
    if (term.subscriptionId !== subscription.id) {
      throw new Error(`Prepaid term of subscription ${term.subscriptionId} passed for subscription ${subscription.id}`);
    }
    if (term.productKey !== subscription.productKey) {
      throw new ConflictError(
        `The prepaid term of subscription ${subscription.id} is for product '${term.productKey}', ` +
          `not '${subscription.productKey}'.`,
      );
    }
  }
  const length = pack.days * MS_PER_DAY;
  const after: PrepaidTerm =
    term !== undefined && isTermActive(term, now)
      ? { ...copyTerm(term), end: new Date(term.end.getTime() + length), extensions: term.extensions + 1 }
      : {
          subscriptionId: subscription.id,
          productKey: subscription.productKey,
          start: new Date(now.getTime()),
          end: new Date(now.getTime() + length),
          extensions: 1,
        };
  assertValidDate(after.end, 'term end');
  return after;
}

/**
 * Works out a redemption of `pack` for `subscription` at `now`: the new term, whether it extended the current one,
 * and the pack marked as redeemed (recording the term before and after, for audit and for idempotent replies).
 *
 * @throws as `applyDayPack`.
 */
export function planRedemption(
  term: PrepaidTerm | undefined,
  pack: DayPack,
  subscription: SubscriptionRef,
  now: Date,
): PlannedRedemption {
  const after = applyDayPack(term, pack, subscription, now);
  const redemption: DayPackRedemption = {
    subscriptionId: subscription.id,
    redeemedAt: new Date(now.getTime()),
    ...(term === undefined ? {} : { termBefore: copyTerm(term) }),
    termAfter: after,
  };
  return { outcome: redemptionOutcome(term, now), term: after, pack: { ...pack, redemption } };
}

/** Copies only the term's own fields, so nothing a store attached to it travels into a new term. */
function copyTerm(term: PrepaidTerm): PrepaidTerm {
  return {
    subscriptionId: term.subscriptionId,
    productKey: term.productKey,
    start: term.start,
    end: term.end,
    extensions: term.extensions,
  };
}

function assertValidDate(value: Date, name: string): void {
  if (Number.isNaN(value.getTime())) throw new Error(`${name} is not a valid date`);
}
