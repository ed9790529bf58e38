import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { cryptoDayPackCodes, hashDayPackCode } from '#shared/adapters/day-pack-codes.ts';
import { DynamoDayPackStore } from '#shared/adapters/dynamodb/dynamo-day-pack-store.ts';
import { type DayPack, MS_PER_DAY, planRedemption } from '#shared/domain/day-packs.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import { issueDayPacks } from '#shared/use-cases/day-packs/issue-day-packs.ts';
import type { DayPackStore } from '#shared/use-cases/day-packs/ports/day-pack-store.ts';
import { redeemDayPack } from '#shared/use-cases/day-packs/redeem-day-pack.ts';
import { aDayPack, aFixedClock, aSubscriptionRef } from '#test/builders/day-packs.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

const NOW = new Date('2025-03-01T10:00:00.000Z');

/** A pack with a fresh code hash, so tests sharing the table never collide. */
function aFreshPack(overrides: Partial<DayPack> = {}): DayPack {
  return aDayPack({ codeHash: hashDayPackCode(randomUUID()), ...overrides });
}

describe('DynamoDB day-pack store', () => {
  const { documentClient } = localClients();
  let store: DynamoDayPackStore;

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    store = new DynamoDayPackStore(documentClient, env[MAIN_TABLE.envVar] ?? '');
  });

  it('reads back issued packs, their redemption, the term and both listings as they were written', async () => {
    const partnerId = `partner-${randomUUID()}`;
    const subscription = aSubscriptionRef({ id: `sub-${randomUUID()}` });
    const partnerPack = aFreshPack({ partnerId, days: 90, issuedAt: new Date('2025-01-02T00:00:00Z') });
    const directPack = aFreshPack({ days: 30 });
    await store.saveIssued([partnerPack, directPack]);
    const planned = planRedemption(undefined, partnerPack, subscription, NOW);

    await store.recordRedemption(planned.pack, undefined);

    expect(await store.findByCodeHash(directPack.codeHash)).toEqual(directPack);
    expect(await store.findByCodeHash(partnerPack.codeHash)).toEqual(planned.pack);
    expect(await store.findPrepaidTerm(subscription.id)).toEqual({ term: planned.term, version: 1 });
    expect(await store.listByPartner(partnerId)).toEqual([planned.pack]);
    expect(await store.listBySubscription(subscription.id)).toEqual([planned.pack]);
    expect(await store.findByCodeHash(hashDayPackCode('no such code'))).toBeUndefined();
  });

  it('keeps the term before the redemption on the pack and bumps the term version on each redemption', async () => {
    const subscription = aSubscriptionRef({ id: `sub-${randomUUID()}` });
    const [first, second] = [aFreshPack({ days: 30 }), aFreshPack({ days: 90 })];
    await store.saveIssued([first, second]);
    const firstPlan = planRedemption(undefined, first, subscription, NOW);
    await store.recordRedemption(firstPlan.pack, undefined);
    const before = await store.findPrepaidTerm(subscription.id);
    const secondPlan = planRedemption(before?.term, second, subscription, new Date('2025-03-10T00:00:00Z'));

    await store.recordRedemption(secondPlan.pack, before);

    expect(await store.findPrepaidTerm(subscription.id)).toEqual({ term: secondPlan.term, version: 2 });
    expect((await store.findByCodeHash(second.codeHash))?.redemption?.termBefore).toEqual(firstPlan.term);
    expect(await store.listBySubscription(subscription.id)).toEqual([firstPlan.pack, secondPlan.pack]);
  });

  it('saves more packs than one transaction holds and lists them all for their partner', async () => {
    const partnerId = `partner-${randomUUID()}`;

    const issued = await issueDayPacks(
      { dayPacks: store, dayPackCodes: cryptoDayPackCodes, clock: aFixedClock(NOW) },
      { productKey: 'contoso-analytics', days: 365, count: 250, partnerId },
    );

    const listed = await store.listByPartner(partnerId);
    expect(listed).toHaveLength(250);
    expect(new Set(listed.map((pack) => pack.codeHash))).toEqual(new Set(issued.map((entry) => entry.pack.codeHash)));
  });

  it('refuses to overwrite an existing pack, redeemed or not', async () => {
    const pack = aFreshPack();
    await store.saveIssued([pack]);
    await store.recordRedemption(
      planRedemption(undefined, pack, aSubscriptionRef({ id: `sub-${randomUUID()}` }), NOW).pack,
      undefined,
    );

    const act = store.saveIssued([pack]);

    await expect(act).rejects.toThrow(ConflictError);
    expect((await store.findByCodeHash(pack.codeHash))?.redemption).toBeDefined();
  });

  it('lets exactly one of two concurrent redemptions of the same code through and refuses the other with a conflict', async () => {
    const pack = aFreshPack();
    await store.saveIssued([pack]);
    const [subA, subB] = [
      aSubscriptionRef({ id: `sub-${randomUUID()}` }),
      aSubscriptionRef({ id: `sub-${randomUUID()}` }),
    ];

    const settled = await Promise.allSettled([
      store.recordRedemption(planRedemption(undefined, pack, subA, NOW).pack, undefined),
      store.recordRedemption(planRedemption(undefined, pack, subB, NOW).pack, undefined),
    ]);

    const rejected = settled.filter((result) => result.status === 'rejected');
    expect(settled.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(ConflictError);
    const winner = (await store.findByCodeHash(pack.codeHash))?.redemption?.subscriptionId;
    const loser = winner === subA.id ? subB.id : subA.id;
    expect(await store.findPrepaidTerm(loser)).toBeUndefined();
    expect(await store.listBySubscription(loser)).toEqual([]);
  });

  it('writes nothing when the term changed since it was read', async () => {
    const subscription = aSubscriptionRef({ id: `sub-${randomUUID()}` });
    const [first, stale] = [aFreshPack(), aFreshPack()];
    await store.saveIssued([first, stale]);
    await store.recordRedemption(planRedemption(undefined, first, subscription, NOW).pack, undefined);

    // Planned as if the subscription still had no term.
    const act = store.recordRedemption(planRedemption(undefined, stale, subscription, NOW).pack, undefined);

    await expect(act).rejects.toThrow(ConflictError);
    expect((await store.findByCodeHash(stale.codeHash))?.redemption).toBeUndefined();
    expect((await store.findPrepaidTerm(subscription.id))?.version).toBe(1);
    expect(await store.listBySubscription(subscription.id)).toHaveLength(1);
  });

  it('applies both packs when two codes are redeemed at once for the same subscription', async () => {
    const clock = aFixedClock(NOW);
    const subscription = aSubscriptionRef({ id: `sub-${randomUUID()}` });
    const deps = { dayPacks: store, dayPackCodes: cryptoDayPackCodes, clock };
    const [a] = await issueDayPacks(deps, { productKey: subscription.productKey, days: 30, count: 1 });
    const [b] = await issueDayPacks(deps, { productKey: subscription.productKey, days: 90, count: 1 });
    // Hold both first reads of the term until both happened, so both plan against "no term" and one must retry.
    const bothRead = barrier(2);
    const racing: DayPackStore = {
      saveIssued: (packs) => store.saveIssued(packs),
      findByCodeHash: (hash) => store.findByCodeHash(hash),
      findPrepaidTerm: async (id) => {
        const term = await store.findPrepaidTerm(id);
        await bothRead();
        return term;
      },
      recordRedemption: (pack, termBefore) => store.recordRedemption(pack, termBefore),
      listByPartner: (id) => store.listByPartner(id),
      listBySubscription: (id) => store.listBySubscription(id),
    };

    const results = await Promise.all(
      [a, b].map((issued) => redeemDayPack({ ...deps, dayPacks: racing }, { code: issued?.code ?? '', subscription })),
    );

    const stored = await store.findPrepaidTerm(subscription.id);
    expect(results.map((result) => result.outcome).sort()).toEqual(['extended', 'newTerm']);
    expect(stored?.term.extensions).toBe(2);
    expect(stored?.term.end.getTime()).toBe(NOW.getTime() + 120 * MS_PER_DAY);
    expect(stored?.version).toBe(2);
    expect(await store.listBySubscription(subscription.id)).toHaveLength(2);
  });
});

/** Returns a wait function: the first `parties` callers wait until all of them arrived; later callers pass. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => {};
  const allArrived = new Promise<void>((resolve) => {
    release = resolve;
  });
  return async () => {
    arrived++;
    if (arrived === parties) release();
    if (arrived <= parties) await allArrived;
  };
}
