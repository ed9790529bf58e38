import type { DayPack, RedeemedDayPack } from '#shared/domain/day-packs.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { DayPackStore, StoredPrepaidTerm } from '#shared/use-cases/day-packs/ports/day-pack-store.ts';

/**
 * `DayPackStore` in memory, for use-case tests. It keeps the same conditions as `DynamoDayPackStore`: a pack is
 * never overwritten, a redeemed pack never changes, and a redemption is refused (ConflictError, nothing written)
 * when the pack was redeemed or the term's version moved since it was read. Values are copied in and out, so a
 * test cannot change stored state by mutating what it passed or got back.
 */
export class InMemoryDayPackStore implements DayPackStore {
  private readonly packs = new Map<string, DayPack>();
  private readonly terms = new Map<string, StoredPrepaidTerm>();
  private readonly redemptions: RedeemedDayPack[] = [];

  /** Redemptions the store accepted, in order (for assertions). */
  get recordedRedemptions(): readonly RedeemedDayPack[] {
    return structuredClone(this.redemptions);
  }

  async saveIssued(packs: readonly DayPack[]): Promise<void> {
    const duplicate = packs.find((pack) => this.packs.has(pack.codeHash));
    if (duplicate) throw new ConflictError(`A day pack with code hash ${duplicate.codeHash} exists already`);
    for (const pack of packs) this.packs.set(pack.codeHash, structuredClone(pack));
  }

  async findByCodeHash(codeHash: string): Promise<DayPack | undefined> {
    const pack = this.packs.get(codeHash);
    return pack && structuredClone(pack);
  }

  async findPrepaidTerm(subscriptionId: string): Promise<StoredPrepaidTerm | undefined> {
    const term = this.terms.get(subscriptionId);
    return term && structuredClone(term);
  }

  async recordRedemption(pack: RedeemedDayPack, termBefore: StoredPrepaidTerm | undefined): Promise<void> {
    const stored = this.packs.get(pack.codeHash);
    if (!stored || stored.redemption) throw new ConflictError('This day pack was redeemed meanwhile.');
    const subscriptionId = pack.redemption.subscriptionId;
    const currentVersion = this.terms.get(subscriptionId)?.version;
    if (currentVersion !== termBefore?.version) {
      throw new ConflictError(`The prepaid term of subscription ${subscriptionId} changed meanwhile; read it again.`);
    }
    // All checks passed before any write: the three writes below are as atomic as the DynamoDB transaction.
    this.packs.set(pack.codeHash, structuredClone(pack));
    this.terms.set(subscriptionId, {
      term: structuredClone(pack.redemption.termAfter),
      version: (currentVersion ?? 0) + 1,
    });
    this.redemptions.push(structuredClone(pack));
  }

  async listByPartner(partnerId: string): Promise<DayPack[]> {
    return [...this.packs.values()]
      .filter((pack) => pack.partnerId === partnerId)
      .sort((a, b) => a.issuedAt.getTime() - b.issuedAt.getTime())
      .map((pack) => structuredClone(pack));
  }

  async listBySubscription(subscriptionId: string): Promise<RedeemedDayPack[]> {
    return this.redemptions
      .filter((pack) => pack.redemption.subscriptionId === subscriptionId)
      .map((pack) => structuredClone(pack));
  }
}
