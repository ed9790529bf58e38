import { beforeEach, describe, expect, it } from 'vitest';
import { cryptoDayPackCodes } from '#shared/adapters/day-pack-codes.ts';
import { DayPackProductMismatchError, MS_PER_DAY } from '#shared/domain/day-packs.ts';
import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import { issueDayPacks } from '#shared/use-cases/day-packs/issue-day-packs.ts';
import type { DayPackStore } from '#shared/use-cases/day-packs/ports/day-pack-store.ts';
import { redeemDayPack } from '#shared/use-cases/day-packs/redeem-day-pack.ts';
import { aFixedClock, aSubscriptionRef } from '#test/builders/day-packs.ts';
import { InMemoryDayPackStore } from '#test/helpers/in-memory-day-pack-store.ts';

const NOW = '2025-03-01T10:00:00.000Z';

describe('redeeming a day pack', () => {
  let dayPacks: InMemoryDayPackStore;
  let clock: ReturnType<typeof aFixedClock>;
  let deps: { dayPacks: DayPackStore; dayPackCodes: typeof cryptoDayPackCodes; clock: typeof clock };

  beforeEach(() => {
    dayPacks = new InMemoryDayPackStore();
    clock = aFixedClock(NOW);
    deps = { dayPacks, dayPackCodes: cryptoDayPackCodes, clock };
  });

  async function issue(days: number, productKey = 'contoso-analytics'): Promise<string> {
    const [issued] = await issueDayPacks(deps, { productKey, days, count: 1 });
    if (!issued) throw new Error('nothing issued');
    return issued.code;
  }

  it('starts a term now when the subscription has none', async () => {
    const code = await issue(30);

    const result = await redeemDayPack(deps, { code, subscription: aSubscriptionRef() });

    expect(result.outcome).toBe('newTerm');
    expect(result.term.start.toISOString()).toBe(NOW);
    expect(result.term.end.toISOString()).toBe('2025-03-31T10:00:00.000Z');
    expect(result.pack.redemption).toMatchObject({ subscriptionId: 'sub-1', redeemedAt: new Date(NOW) });
    expect((await dayPacks.findPrepaidTerm('sub-1'))?.term).toEqual(result.term);
  });

  it('adds the days to the end of the active term', async () => {
    const first = await redeemDayPack(deps, { code: await issue(30), subscription: aSubscriptionRef() });
    clock.set('2025-03-20T00:00:00Z');

    const second = await redeemDayPack(deps, { code: await issue(90), subscription: aSubscriptionRef() });

    expect(second.outcome).toBe('extended');
    expect(second.term.start).toEqual(first.term.start);
    expect(second.term.end.getTime()).toBe(first.term.end.getTime() + 90 * MS_PER_DAY);
  });

  it('starts a new term on the redemption date after the term expired', async () => {
    await redeemDayPack(deps, { code: await issue(30), subscription: aSubscriptionRef() });
    clock.set('2025-06-01T00:00:00Z');

    const result = await redeemDayPack(deps, { code: await issue(30), subscription: aSubscriptionRef() });

    expect(result.outcome).toBe('newTerm');
    expect(result.term.start.toISOString()).toBe('2025-06-01T00:00:00.000Z');
  });

  it('answers alreadyRedeemed with the term it produced when the same code is redeemed again for the same subscription', async () => {
    const code = await issue(30);
    const first = await redeemDayPack(deps, { code, subscription: aSubscriptionRef() });
    clock.set('2025-03-05T00:00:00Z');

    const again = await redeemDayPack(deps, { code, subscription: aSubscriptionRef() });

    expect(again.outcome).toBe('alreadyRedeemed');
    expect(again.term).toEqual(first.term);
    expect((await dayPacks.findPrepaidTerm('sub-1'))?.term).toEqual(first.term);
    expect(dayPacks.recordedRedemptions).toHaveLength(1);
  });

  it('refuses with a conflict a code already redeemed for another subscription, leaving both terms alone', async () => {
    const code = await issue(30);
    const first = await redeemDayPack(deps, { code, subscription: aSubscriptionRef({ id: 'sub-1' }) });

    const act = redeemDayPack(deps, { code, subscription: aSubscriptionRef({ id: 'sub-2' }) });

    await expect(act).rejects.toThrow(ConflictError);
    await expect(act).rejects.not.toThrow(/sub-1/);
    expect(await dayPacks.findPrepaidTerm('sub-2')).toBeUndefined();
    expect((await dayPacks.findPrepaidTerm('sub-1'))?.term).toEqual(first.term);
  });

  it('reports an unknown code as not found', async () => {
    await issue(30);

    const act = redeemDayPack(deps, { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', subscription: aSubscriptionRef() });

    await expect(act).rejects.toThrow(NotFoundError);
  });

  it('matches a code typed in another case, without dashes or with spaces', async () => {
    const code = await issue(30);
    const typed = ` ${code.toLowerCase().replaceAll('-', ' ')} `;

    const result = await redeemDayPack(deps, { code: typed, subscription: aSubscriptionRef() });
    const again = await redeemDayPack(deps, { code: code.replaceAll('-', ''), subscription: aSubscriptionRef() });

    expect(result.outcome).toBe('newTerm');
    expect(again.outcome).toBe('alreadyRedeemed');
  });

  it('refuses a pack for another product and redeems nothing', async () => {
    const code = await issue(30, 'fabrikam-backup');

    const act = redeemDayPack(deps, { code, subscription: aSubscriptionRef({ productKey: 'contoso-analytics' }) });

    await expect(act).rejects.toThrow(DayPackProductMismatchError);
    await expect(act).rejects.toThrow(/fabrikam-backup/);
    expect(dayPacks.recordedRedemptions).toHaveLength(0);
  });

  it('applies both packs when two codes are redeemed at once for the same subscription', async () => {
    const [codeA, codeB] = [await issue(30), await issue(90)];
    const conflicts: unknown[] = [];
    const watched = withRecordRedemption(dayPacks, (pack, termBefore) =>
      dayPacks.recordRedemption(pack, termBefore).catch((error: unknown) => {
        conflicts.push(error);
        throw error;
      }),
    );

    const results = await Promise.all([
      redeemDayPack({ ...deps, dayPacks: watched }, { code: codeA, subscription: aSubscriptionRef() }),
      redeemDayPack({ ...deps, dayPacks: watched }, { code: codeB, subscription: aSubscriptionRef() }),
    ]);

    const stored = await dayPacks.findPrepaidTerm('sub-1');
    // Both read "no term" before either wrote, so one write was refused and that redemption retried.
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toBeInstanceOf(ConflictError);
    expect(results.map((result) => result.outcome).sort()).toEqual(['extended', 'newTerm']);
    expect(stored?.term.extensions).toBe(2);
    expect(stored?.term.end.getTime()).toBe(new Date(NOW).getTime() + 120 * MS_PER_DAY);
  });

  it('retries only once when the store keeps reporting concurrent changes', async () => {
    const code = await issue(30);
    let attempts = 0;
    const contended = withRecordRedemption(dayPacks, async () => {
      attempts++;
      throw new ConflictError('The prepaid term changed meanwhile.');
    });

    const act = redeemDayPack({ ...deps, dayPacks: contended }, { code, subscription: aSubscriptionRef() });

    await expect(act).rejects.toThrow(ConflictError);
    expect(attempts).toBe(2);
  });
});

/** `store` with its `recordRedemption` replaced, to watch or disturb the use case's writes. */
function withRecordRedemption(store: DayPackStore, recordRedemption: DayPackStore['recordRedemption']): DayPackStore {
  return {
    saveIssued: (packs) => store.saveIssued(packs),
    findByCodeHash: (hash) => store.findByCodeHash(hash),
    findPrepaidTerm: (id) => store.findPrepaidTerm(id),
    listByPartner: (id) => store.listByPartner(id),
    listBySubscription: (id) => store.listBySubscription(id),
    recordRedemption,
  };
}
