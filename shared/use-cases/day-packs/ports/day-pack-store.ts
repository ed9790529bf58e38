import type { DayPack, PrepaidTerm, RedeemedDayPack } from '#shared/domain/day-packs.ts';

/** A prepaid term as stored, with the version that guards it against lost updates. */
export interface StoredPrepaidTerm {
  readonly term: PrepaidTerm;
  /** Incremented by every write of the term; compared on the next write (optimistic concurrency). */
  readonly version: number;
}

/**
 * Storage of day packs and of the prepaid terms they extend. Implemented by `DynamoDayPackStore` and, for tests,
 * by `InMemoryDayPackStore`.
 *
 * The store never changes a redeemed pack and offers no way to undo a redemption: extensions are irreversible.
 */
export interface DayPackStore {
  /**
   * Saves newly issued, unredeemed packs.
   *
   * @throws ConflictError when a pack with the same code hash already exists (never overwritten). Packs of a
   *   batch may be saved in several writes; on failure some may already be stored. Their codes were never shown,
   *   so nobody can redeem them.
   */
  saveIssued(packs: readonly DayPack[]): Promise<void>;

  /** The pack whose code hashes to `codeHash`, redeemed or not. */
  findByCodeHash(codeHash: string): Promise<DayPack | undefined>;

  /** The subscription's prepaid term with its version, or `undefined` when no pack was ever redeemed for it. */
  findPrepaidTerm(subscriptionId: string): Promise<StoredPrepaidTerm | undefined>;

  /**
   * Atomically marks the pack redeemed, writes the subscription's new term (`pack.redemption.termAfter`) and
   * keeps a redemption record: all or nothing.
   *
   * @param pack the pack with its redemption set (see `planRedemption`).
   * @param termBefore the term as read before planning the redemption (`undefined` when there was none); the
   *   write succeeds only if the stored term still has this version (or still does not exist).
   * @throws ConflictError when the pack was redeemed meanwhile or the term changed meanwhile; nothing is written.
   */
  recordRedemption(pack: RedeemedDayPack, termBefore: StoredPrepaidTerm | undefined): Promise<void>;

  /** Every pack issued to a reseller partner, oldest issue first, with its redemption if redeemed. */
  listByPartner(partnerId: string): Promise<DayPack[]>;

  /** Every pack redeemed for a subscription, in redemption order. */
  listBySubscription(subscriptionId: string): Promise<RedeemedDayPack[]>;
}
