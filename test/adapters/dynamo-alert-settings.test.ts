import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAlertSettingsReader } from '#shared/adapters/dynamodb/dynamo-alert-settings-reader.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import { aBudget, aCreditLink, anApproval, aPartnerRecord, someCreditLevels } from '#test/builders/alerts.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

describe('DynamoDB alert settings stores', () => {
  const { documentClient } = localClients();
  let budgets: DynamoBudgetStore;
  let partners: DynamoPartnerStore;
  let settings: DynamoAlertSettingsReader;
  let table = '';

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    table = env[MAIN_TABLE.envVar] ?? '';
    budgets = new DynamoBudgetStore(documentClient, table);
    partners = new DynamoPartnerStore(documentClient, table);
    settings = new DynamoAlertSettingsReader(documentClient, table);
  });

  it('stores budgets per subscription and lists a customer’s budgets', async () => {
    const customerId = `customer-${randomUUID()}`;
    const first = aBudget({ customerId, subscriptionId: `sub-${randomUUID()}`, forecastAlert: true });
    const second = aBudget({
      customerId,
      subscriptionId: `sub-${randomUUID()}`,
      plannedMonthlyAmount: { amount: '1234.56', currency: 'USD' },
      spikeMinimumAmount: { amount: '10.00', currency: 'USD' },
      thresholds: ['0.9'],
      timeZone: 'UTC',
      locale: 'en',
      contacts: { emails: [], phones: [] },
    });
    await budgets.putBudget(first);
    await budgets.putBudget(second);

    expect(await budgets.getBudget(first.subscriptionId)).toEqual(first);
    expect(await budgets.getBudget(second.subscriptionId)).toEqual(second);
    const listed = await budgets.listBudgetsOfCustomer(customerId);
    expect(listed.map((b) => b.subscriptionId).sort()).toEqual([first.subscriptionId, second.subscriptionId].sort());

    await budgets.deleteBudget(first.subscriptionId);
    expect(await budgets.getBudget(first.subscriptionId)).toBeUndefined();
  });

  it('stores partners, finds them by tenant, and keeps a tenant to one partner', async () => {
    const tenantId = `tenant-${randomUUID()}`;
    const partner = aPartnerRecord({ id: `partner-${randomUUID()}`, tenantId });
    await partners.putPartner(partner);
    await partners.putPartner({ ...partner, name: 'Renamed Reseller KK' });

    expect(await partners.getPartner(partner.id)).toEqual({ ...partner, name: 'Renamed Reseller KK' });
    expect((await partners.findPartnerByTenant(tenantId))?.id).toBe(partner.id);
    await expect(partners.putPartner(aPartnerRecord({ id: `partner-${randomUUID()}`, tenantId }))).rejects.toThrow(
      ConflictError,
    );

    const newTenant = `tenant-${randomUUID()}`;
    await partners.putPartner({ ...partner, tenantId: newTenant });
    expect(await partners.findPartnerByTenant(tenantId)).toBeUndefined();
    expect((await partners.findPartnerByTenant(newTenant))?.id).toBe(partner.id);
    // The old tenant is free again.
    await partners.putPartner(aPartnerRecord({ id: `partner-${randomUUID()}`, tenantId }));
  });

  it('finds a partner by its tenant id however either side spells it, and keeps that tenant to one partner', async () => {
    // Registered in upper case, as a publisher may type it; id tokens and Microsoft send lower case.
    const tenantId = randomUUID().toUpperCase();
    const partner = aPartnerRecord({ id: `partner-${randomUUID()}`, tenantId });
    await partners.putPartner(partner);

    expect((await partners.findPartnerByTenant(tenantId.toLowerCase()))?.id).toBe(partner.id);
    await expect(
      partners.putPartner(aPartnerRecord({ id: `partner-${randomUUID()}`, tenantId: tenantId.toLowerCase() })),
    ).rejects.toThrow(ConflictError);
    // The same tenant re-spelled is not a move: the claim stays (and is not deleted with the old spelling).
    await partners.putPartner({ ...partner, tenantId: tenantId.toLowerCase() });
    expect((await partners.findPartnerByTenant(tenantId))?.id).toBe(partner.id);
  });

  it('heals a tenant claim stored as typed (before claims were keyed in lower case) when the partner is saved again', async () => {
    // As an earlier version stored a partner registered in upper case: the claim under the id as typed.
    const legacyClaim = async (partnerId: string, tenantId: string) => {
      await partners.putPartner(aPartnerRecord({ id: partnerId, tenantId: `placeholder-${randomUUID()}` }));
      await documentClient.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `PARTNER#${partnerId}`, sk: 'PARTNER' },
          UpdateExpression: 'SET tenantId = :tenant',
          ExpressionAttributeValues: { ':tenant': tenantId },
        }),
      );
      await documentClient.send(
        new PutCommand({
          TableName: table,
          Item: { pk: `PARTNER_TENANT#${tenantId}`, sk: 'PARTNER_TENANT', type: 'PartnerTenant', partnerId },
        }),
      );
    };
    const claimAsTyped = async (tenantId: string) =>
      (
        await documentClient.send(
          new GetCommand({ TableName: table, Key: { pk: `PARTNER_TENANT#${tenantId}`, sk: 'PARTNER_TENANT' } }),
        )
      ).Item;
    const same = { id: `partner-${randomUUID()}`, tenantId: randomUUID().toUpperCase() };
    const moving = { id: `partner-${randomUUID()}`, tenantId: randomUUID().toUpperCase() };
    await legacyClaim(same.id, same.tenantId);
    await legacyClaim(moving.id, moving.tenantId);
    expect(await partners.findPartnerByTenant(same.tenantId.toLowerCase())).toBeUndefined();

    // Saved again with the same tenant: found by the lower-case id, the claim as typed gone.
    await partners.putPartner(aPartnerRecord(same));
    expect((await partners.findPartnerByTenant(same.tenantId.toLowerCase()))?.id).toBe(same.id);
    expect(await claimAsTyped(same.tenantId)).toBeUndefined();
    // Moved to another tenant: the old claim (as typed) is released, not a "changed meanwhile" refusal.
    const newTenant = randomUUID();
    await partners.putPartner(aPartnerRecord({ id: moving.id, tenantId: newTenant }));
    expect((await partners.findPartnerByTenant(newTenant))?.id).toBe(moving.id);
    expect(await claimAsTyped(moving.tenantId)).toBeUndefined();
  });

  it('links subscriptions to a partner with credit levels and lists the partner’s links', async () => {
    const partnerId = `partner-${randomUUID()}`;
    const a = aCreditLink({ partnerId, customerId: 'customer-a', subscriptionId: `sub-${randomUUID()}` });
    const b = aCreditLink({
      partnerId,
      customerId: 'customer-b',
      subscriptionId: `sub-${randomUUID()}`,
      levels: someCreditLevels({ purchaseBlocked: { amount: '999999', currency: 'JPY' } }),
    });
    await partners.putCreditLink(b);
    await partners.putCreditLink(a);

    expect(await partners.getCreditLink(a.subscriptionId)).toEqual(a);
    expect(await partners.listCreditLinks(partnerId)).toEqual([a, b]);
    await partners.deleteCreditLink(a.subscriptionId);
    expect(await partners.listCreditLinks(partnerId)).toEqual([b]);
  });

  it('stores a partner’s own time zone and reads it back, and none when it has none', async () => {
    const inTokyo = aPartnerRecord({ id: `partner-${randomUUID()}`, tenantId: `tenant-${randomUUID()}` });
    const withoutZone = aPartnerRecord({
      id: `partner-${randomUUID()}`,
      tenantId: `tenant-${randomUUID()}`,
      timeZone: undefined,
    });
    await partners.putPartner(inTokyo);
    await partners.putPartner(withoutZone);

    expect(inTokyo.timeZone).toBe('Asia/Tokyo');
    expect(await partners.getPartner(inTokyo.id)).toEqual(inTokyo);
    expect(await partners.getPartner(withoutZone.id)).toEqual(withoutZone);
    expect((await partners.getPartner(withoutZone.id))?.timeZone).toBeUndefined();
    await partners.putPartner({ ...inTokyo, timeZone: 'America/New_York' });
    expect((await partners.getPartner(inTokyo.id))?.timeZone).toBe('America/New_York');
  });

  it('keeps when the purchase-blocked level was set and the partner’s release, and releases only the link read', async () => {
    const setAt = new Date('2025-06-20T02:00:00.000Z');
    const link = aCreditLink({ subscriptionId: `sub-${randomUUID()}`, purchaseBlockedLevelSetAt: setAt });
    const legacy = aCreditLink({ subscriptionId: `sub-${randomUUID()}` });
    await partners.putCreditLink(link);
    await partners.putCreditLink(legacy);
    const release = { at: new Date('2025-06-21T00:00:00.000Z'), by: 'partner:partner-x' };

    await partners.releasePurchaseBlock(link, release);
    await partners.releasePurchaseBlock(legacy, { ...release, by: 'publisher' });

    expect(await partners.getCreditLink(link.subscriptionId)).toEqual({ ...link, purchaseBlockRelease: release });
    expect(await partners.getCreditLink(legacy.subscriptionId)).toEqual({
      ...legacy,
      purchaseBlockRelease: { ...release, by: 'publisher' },
    });
    // A new purchase-blocked level makes a new check: a release for the old one is refused and writes nothing.
    const changed = { ...link, purchaseBlockedLevelSetAt: new Date('2025-06-22T00:00:00.000Z') };
    await partners.putCreditLink(changed);
    await expect(partners.releasePurchaseBlock(link, release)).rejects.toBeInstanceOf(ConflictError);
    await expect(
      partners.releasePurchaseBlock({ ...changed, partnerId: 'another-partner' }, release),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      partners.releasePurchaseBlock({ ...link, subscriptionId: `sub-${randomUUID()}` }, release),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await partners.getCreditLink(link.subscriptionId)).toEqual(changed);
  });

  it('keeps approvals with their expiry and lists only the active ones when asked', async () => {
    const subscriptionId = `sub-${randomUUID()}`;
    const expired = anApproval({ id: 'old', subscriptionId, expiresAt: new Date('2025-04-05T00:00:00Z') });
    const active = anApproval({
      id: 'new',
      subscriptionId,
      planId: 'gold',
      maxQuantity: 25,
      expiresAt: new Date('2025-05-01T00:00:00Z'),
    });
    await partners.putApproval(expired);
    await partners.putApproval(active);

    expect(await partners.listApprovals(subscriptionId)).toEqual([active, expired]);
    expect(await partners.listApprovals(subscriptionId, { activeAt: new Date('2025-04-10T00:00:00Z') })).toEqual([
      active,
    ]);
  });

  it('reads the budgets and credit links of many subscriptions at once, past one request of 100 keys', async () => {
    const run = randomUUID().slice(0, 8);
    // 60 subscriptions = 120 keys: two BatchGetItem requests. Every third has a budget, every fifth a credit link.
    const ids = Array.from({ length: 60 }, (_, index) => `sub-${run}-${index}`);
    for (const [index, subscriptionId] of ids.entries()) {
      if (index % 3 === 0) await budgets.putBudget(aBudget({ subscriptionId, customerId: `customer-${index}` }));
      if (index % 5 === 0)
        await partners.putCreditLink(aCreditLink({ subscriptionId, customerId: `customer-${index}` }));
    }
    // A subscription's other items (an approval here) are not mistaken for settings.
    await partners.putApproval(anApproval({ subscriptionId: ids[1] as string }));

    const read = await settings.readMany([...ids, ids[0] as string, `sub-${run}-unknown`]);

    expect(read.size).toBe(61);
    expect(read.get(`sub-${run}-unknown`)).toEqual({});
    for (const [index, subscriptionId] of ids.entries()) {
      const expected = {
        ...(index % 3 === 0 ? { budget: aBudget({ subscriptionId, customerId: `customer-${index}` }) } : {}),
        ...(index % 5 === 0 ? { creditLink: aCreditLink({ subscriptionId, customerId: `customer-${index}` }) } : {}),
      };
      expect(read.get(subscriptionId)).toEqual(expected);
    }
  });
});
