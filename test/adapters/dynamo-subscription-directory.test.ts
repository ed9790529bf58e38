import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { CONSUMER_TENANT_ID } from '#shared/domain/entra-ids.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import type { SubscriptionFilter } from '#shared/use-cases/portal-data/ports/directories.ts';
import { aSubscription } from '#test/builders/subscription.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

describe('DynamoDB subscription directory (the paged, filtered list)', () => {
  const { documentClient } = localClients();
  let store: DynamoSubscriptionStore;
  // 60 subscriptions over three statuses; 3 of them belong to tenant-needle, spread apart.
  const statuses = ['Subscribed', 'Suspended', 'Unsubscribed'] as const;
  const all: Subscription[] = Array.from({ length: 60 }, (_, i) =>
    aSubscription({
      status: statuses[i % 3],
      beneficiary: { tenantId: i % 25 === 7 ? 'tenant-needle' : `tenant-${i}` },
      purchaser: { tenantId: i === 44 ? 'tenant-needle' : `tenant-${i}` },
    }),
  );
  // Personal Microsoft accounts: all in the consumer tenant, told apart by their object ids.
  const personal = (objectId: string) => ({ tenantId: CONSUMER_TENANT_ID, objectId });
  const usedByMia = aSubscription({ beneficiary: personal('oid-mia'), purchaser: personal('oid-gift-giver') });
  const boughtByMia = aSubscription({ beneficiary: personal('oid-kid'), purchaser: personal('oid-mia') });
  const personalOthers = [
    aSubscription({ beneficiary: personal('oid-leo'), purchaser: personal('oid-leo') }),
    aSubscription({
      beneficiary: { tenantId: 'tenant-org', objectId: 'oid-mia' },
      purchaser: { tenantId: 'tenant-org', objectId: 'oid-mia' },
    }),
  ];
  all.push(usedByMia, boughtByMia, ...personalOthers);
  const needles = all
    .filter((s) => s.beneficiary.tenantId === 'tenant-needle' || s.purchaser.tenantId === 'tenant-needle')
    .map((s) => s.id)
    .sort();

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    store = new DynamoSubscriptionStore(documentClient, env[MAIN_TABLE.envVar] ?? '');
    for (const subscription of all) await store.put(subscription);
  });

  async function everyPage(filter: SubscriptionFilter, limit: number) {
    const ids: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = await store.listSubscriptions(filter, { limit, ...(cursor ? { cursor } : {}) });
      ids.push(...page.items.map((s) => s.id));
      sizes.push(page.items.length);
      cursor = page.nextCursor;
      if (!cursor) return { ids, sizes };
    }
    throw new Error('the list did not end');
  }

  it('walks every status partition once, each subscription exactly once, whatever the page size', async () => {
    for (const limit of [1, 7, 100]) {
      const { ids } = await everyPage({}, limit);
      expect(ids.length).toBe(all.length);
      expect([...ids].sort()).toEqual(all.map((s) => s.id).sort());
    }
  });

  it('finds rare matches of a narrow filter (beneficiary or purchaser tenant) across pages that end early', async () => {
    const { ids, sizes } = await everyPage({ tenantId: 'tenant-needle' }, 2);

    expect([...ids].sort()).toEqual(needles);
    // A page reads a bounded number of index entries: some pages hold fewer than the limit yet lead on.
    expect(sizes.some((size) => size < 2)).toBe(true);
  });

  it('narrows a customer scope to its ids or its tenant, and a status to its own partition', async () => {
    const one = all[1] as Subscription;
    const { ids } = await everyPage({ anyOf: { ids: [one.id], tenantId: 'tenant-needle' } }, 50);
    expect([...ids].sort()).toEqual([...new Set([...needles, one.id])].sort());
    const suspended = await everyPage({ status: 'Suspended' }, 50);
    expect(suspended.ids.length).toBe(20);
    expect((await everyPage({ anyOf: {} }, 50)).ids).toEqual([]);
  });

  it('narrows a personal account’s scope to the subscriptions it is the beneficiary or purchaser of, in that tenant', async () => {
    const user = { tenantId: CONSUMER_TENANT_ID, objectId: 'oid-mia' };
    const mine = [usedByMia.id, boughtByMia.id].sort();

    expect([...(await everyPage({ anyOf: { ids: [], user } }, 2)).ids].sort()).toEqual(mine);
    expect([...(await everyPage({ anyOf: { tenantId: 'tenant-needle', user } }, 50)).ids].sort()).toEqual(
      [...needles, ...mine].sort(),
    );
  });

  it('refuses a cursor of another status partition or a forged one', async () => {
    const page = await store.listSubscriptions({ status: 'Subscribed' }, { limit: 1 });
    expect(page.nextCursor).toBeDefined();

    await expect(
      store.listSubscriptions({ status: 'Suspended' }, { limit: 1, cursor: page.nextCursor as string }),
    ).rejects.toThrow(/cursor does not belong/);
    await expect(store.listSubscriptions({}, { limit: 1, cursor: 'eyJzIjotMX0' })).rejects.toThrow(/cursor/);
  });
});
