import {
  type PrepaidTerm,
  planRedemption,
  type RedeemedDayPack,
  type RedemptionOutcome,
  type SubscriptionRef,
} from '#shared/domain/day-packs.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { DayPackCodes } from '#shared/use-cases/day-packs/ports/day-pack-codes.ts';
import type { DayPackStore } from '#shared/use-cases/day-packs/ports/day-pack-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

// One attempt plus one retry: enough for the usual race (two packs redeemed at once for one subscription);
// under heavier contention the caller gets a 409 and may simply try again.
const MAX_ATTEMPTS = 2;

export interface RedeemDayPackDeps {
  readonly dayPacks: DayPackStore;
  readonly dayPackCodes: DayPackCodes;
  readonly clock: Clock;
}

export interface RedeemDayPackInput {
  /** The code as the customer typed it: case, dashes and spaces do not matter. */
  readonly code: string;
  /**
   * The subscription to extend. The caller resolves `productKey` from the stored subscription (its offer id),
   * never from the request, so a customer cannot claim another product.
   */
  readonly subscription: SubscriptionRef;
}

export interface RedeemDayPackResult {
  /** `alreadyRedeemed`: this code was already redeemed for this subscription; nothing changed. */
  readonly outcome: RedemptionOutcome | 'alreadyRedeemed';
  /** The term the redemption produced (for `alreadyRedeemed`, the term produced when it was first redeemed). */
  readonly term: PrepaidTerm;
  readonly pack: RedeemedDayPack;
}

/**
 * Redeems a day pack for a subscription: extends its active prepaid term by the pack's days, or starts a new
 * term now if it has none or it expired.
 *
 * Steps: hash the code; find the pack; if it was already redeemed, answer `alreadyRedeemed` (same subscription)
 * or refuse (another one); read the subscription's term; plan the redemption (domain rules); store it
 * atomically and conditionally. If the store reports a concurrent change (the pack or the term changed since
 * they were read), start over once from fresh reads.
 *
 * @throws ValidationError when the code or subscription is blank.
 * @throws NotFoundError when no pack has this code.
 * @throws DayPackProductMismatchError (a ValidationError) when the pack is for another product.
 * @throws ConflictError when the code was redeemed for another subscription, or the term kept changing under
 *   concurrent redemptions.
 */
export async function redeemDayPack(deps: RedeemDayPackDeps, input: RedeemDayPackInput): Promise<RedeemDayPackResult> {
  if (input.code.trim() === '') throw new ValidationError('code must not be blank', 'code');
  if (input.subscription.id.trim() === '') {
    throw new ValidationError('subscription id must not be blank', 'subscription');
  }
  const codeHash = deps.dayPackCodes.hash(input.code);

  for (let attempt = 1; ; attempt++) {
    const pack = await deps.dayPacks.findByCodeHash(codeHash);
    if (pack === undefined) throw new NotFoundError('No day pack has this code. Check the code and try again.');
    if (pack.redemption !== undefined) {
      if (pack.redemption.subscriptionId !== input.subscription.id) {
        // Do not reveal which subscription holds it: the code may have leaked to someone else.
        throw new ConflictError('This day pack code has already been redeemed for another subscription.');
      }
      return {
        outcome: 'alreadyRedeemed',
        term: pack.redemption.termAfter,
        pack: { ...pack, redemption: pack.redemption },
      };
    }

    const stored = await deps.dayPacks.findPrepaidTerm(input.subscription.id);
    const planned = planRedemption(stored?.term, pack, input.subscription, deps.clock.now());
    try {
      await deps.dayPacks.recordRedemption(planned.pack, stored);
      return planned;
    } catch (error) {
      // Only the store's conditional failure is retried; rule violations were thrown above, before any write.
      if (error instanceof ConflictError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
  }
}
