import { describe, expect, it } from 'vitest';
import { SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { CONSUMER_TENANT_ID } from '#shared/domain/entra-ids.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { deliverAlert } from '#shared/use-cases/alerts/deliver-alert.ts';
import { getBudget } from '#shared/use-cases/alerts/get-budget.ts';
import { listAlertHistory } from '#shared/use-cases/alerts/list-alert-history.ts';
import { listAlertOutbox } from '#shared/use-cases/alerts/list-alert-outbox.ts';
import { saveBudget } from '#shared/use-cases/alerts/save-budget.ts';
import { approvePurchaseChange } from '#shared/use-cases/partners/approve-purchase-change.ts';
import { getPartner } from '#shared/use-cases/partners/get-partner.ts';
import { linkPartnerCustomer } from '#shared/use-cases/partners/link-partner-customer.ts';
import { linkResellerPurchase } from '#shared/use-cases/partners/link-reseller-purchase.ts';
import { savePartner } from '#shared/use-cases/partners/save-partner.ts';
import { anActiveSubscription, anEvaluationWorld } from '#test/builders/alert-evaluation.ts';
import { aCreditLink, aPartnerRecord, oneCandidatePerRule, yen } from '#test/builders/alerts.ts';
import { RecordingChannels } from '#test/builders/channels.ts';
import { aCustomer, aPartner, aPublisher } from '#test/builders/subscription.ts';
import { InMemoryAlertDeliveries } from '#test/helpers/in-memory-alert-deliveries.ts';
import { InMemoryContactStates, InMemoryOutbox } from '#test/helpers/in-memory-alert-settings.ts';

const jpy = (amount: string) => ({ amount, currency: 'JPY' });
const levels = { warning: jpy('100000'), approvalRequired: jpy('150000'), purchaseBlocked: jpy('200000') };

async function aSettingsWorld() {
  const world = anEvaluationWorld('2025-06-20T03:00:00Z');
  const contacts = new InMemoryContactStates(() => world.clock.now());
  const outbox = new InMemoryOutbox();
  const subscriptionA = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'tenant-a' });
  const subscriptionB = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'tenant-b' });
  await world.subscriptions.put(subscriptionA);
  await world.subscriptions.put(subscriptionB);
  // One contact store: what saving registers (and removes) is what the notifier reads.
  const channels = new RecordingChannels();
  const contactLifecycle = {
    registry: contacts,
    changes: contacts,
    confirmations: contacts,
    confirmLinks: new SignedContactLinks(async () => new Uint8Array(32).fill(7), 'https://api.example.com'),
    email: channels.email,
    sms: channels.sms,
    clock: world.clock,
  };
  const deliveries = new InMemoryAlertDeliveries();
  return {
    ...world,
    contacts,
    contactStates: contacts,
    outbox,
    deliveries,
    subscriptionA,
    subscriptionB,
    channels,
    contactLifecycle,
    smsCountries: ['JP'] as const,
  };
}

describe('budgets', () => {
  const body = {
    plannedMonthlyAmount: jpy('100000'),
    timeZone: 'Asia/Tokyo',
    locale: 'ja',
    contacts: { emails: ['it@a.example'], phones: ['+819012345678'] },
  };

  it('lets the customer set its budget, routed to its own tenant, registering its contacts and the outbox', async () => {
    const world = await aSettingsWorld();
    const customer = aCustomer({ tenantId: 'tenant-a' });

    const budget = await saveBudget(world, customer, { subscriptionId: world.subscriptionA.id, budget: body });

    expect(budget).toMatchObject({ customerId: 'tenant-a', thresholds: ['0.5', '0.8', '1'], timeZone: 'Asia/Tokyo' });
    const { contactStates, ...stored } = budget;
    expect(await world.budgets.getBudget(world.subscriptionA.id)).toEqual(stored);
    expect(contactStates.map((state) => [state.address, state.status])).toEqual([
      ['it@a.example', 'pending'],
      ['+819012345678', 'pending'],
    ]);
    expect(world.contacts.registered).toEqual([
      {
        recipient: { kind: 'customer', id: 'tenant-a' },
        contact: { channel: 'email', address: 'it@a.example' },
        locale: budget.locale,
      },
      {
        recipient: { kind: 'customer', id: 'tenant-a' },
        contact: { channel: 'sms', address: '+819012345678' },
        locale: budget.locale,
      },
    ]);
    // New contacts wait for their confirmation: nothing is sent to them until they confirm.
    expect([...world.contacts.states.values()].map((state) => state.status)).toEqual(['pending', 'pending']);
    expect(world.outbox.recipients).toEqual([{ kind: 'customer', id: 'tenant-a' }]);
    expect(await getBudget(world, customer, world.subscriptionA.id)).toEqual(budget);
  });

  it("refuses a customer another customer's budget, and a partner any budget", async () => {
    const world = await aSettingsWorld();

    await expect(
      saveBudget(world, aCustomer({ tenantId: 'tenant-b' }), { subscriptionId: world.subscriptionA.id, budget: body }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      saveBudget(world, aPartner('partner-x'), { subscriptionId: world.subscriptionA.id, budget: body }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(world.budgets.budgets.size).toBe(0);
    expect(world.contacts.registered).toEqual([]);
  });

  it('refuses a currency the plan is not priced in, or other than the credit levels’', async () => {
    const world = await aSettingsWorld();
    await world.partners.putCreditLink(aCreditLink({ subscriptionId: world.subscriptionA.id, customerId: 'tenant-a' }));

    await expect(
      saveBudget(world, aPublisher(), {
        subscriptionId: world.subscriptionA.id,
        budget: { plannedMonthlyAmount: { amount: '100', currency: 'EUR' } },
      }),
    ).rejects.toThrow(/not priced in EUR/);
    await expect(
      saveBudget(world, aPublisher(), {
        subscriptionId: world.subscriptionA.id,
        budget: { plannedMonthlyAmount: { amount: '100', currency: 'USD' } },
      }),
    ).rejects.toThrow(/currency of the reseller's credit levels/);
  });

  it('answers not found for an unknown subscription or a missing budget', async () => {
    const world = await aSettingsWorld();

    await expect(getBudget(world, aPublisher(), 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(getBudget(world, aPublisher(), world.subscriptionA.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('contacts removed from settings', () => {
  const budgetWith = (emails: string[], phones: string[] = []) => ({
    plannedMonthlyAmount: jpy('100000'),
    contacts: { emails, phones },
  });

  it('stop receiving the customer’s alerts, unless another budget of the customer still names them', async () => {
    const world = await aSettingsWorld();
    const secondOfA = anActiveSubscription({ activatedAt: '2025-05-31T15:00:00.000Z', customerId: 'tenant-a' });
    await world.subscriptions.put(secondOfA);
    const customer = aCustomer({ tenantId: 'tenant-a' });
    await saveBudget(world, customer, {
      subscriptionId: world.subscriptionA.id,
      budget: budgetWith(['old@a.example', 'both@a.example', 'kept@a.example'], ['+819011111111']),
    });
    await saveBudget(world, customer, { subscriptionId: secondOfA.id, budget: budgetWith(['both@a.example']) });

    await saveBudget(world, customer, {
      subscriptionId: world.subscriptionA.id,
      budget: budgetWith(['kept@a.example', 'new@a.example']),
    });

    expect(world.contacts.removed).toEqual([
      { recipient: { kind: 'customer', id: 'tenant-a' }, contact: { channel: 'email', address: 'old@a.example' } },
      { recipient: { kind: 'customer', id: 'tenant-a' }, contact: { channel: 'sms', address: '+819011111111' } },
    ]);
    expect((await world.budgets.getBudget(world.subscriptionA.id))?.contacts.emails).toEqual([
      'kept@a.example',
      'new@a.example',
    ]);
  });

  it('stop receiving the partner’s alerts when the partner is saved without them', async () => {
    const world = await aSettingsWorld();
    const partner = { name: 'Reseller X', tenantId: 'tenant-partner-x', locale: 'ja' };
    await savePartner(world, aPublisher(), {
      partnerId: 'partner-x',
      partner: { ...partner, contacts: { emails: ['a@r.example', 'b@r.example'] } },
    });

    await savePartner(world, aPublisher(), {
      partnerId: 'partner-x',
      partner: { ...partner, contacts: { emails: ['b@r.example'] } },
    });

    expect(world.contacts.removed).toEqual([
      { recipient: { kind: 'partner', id: 'partner-x' }, contact: { channel: 'email', address: 'a@r.example' } },
    ]);
  });
});

describe('partners, credit levels and approvals', () => {
  const partnerBody = {
    name: 'Reseller X',
    tenantId: 'tenant-partner-x',
    locale: 'ja',
    contacts: { emails: ['x@r.example'] },
  };

  it('keeps a partner’s own time zone for its months, refuses an unknown one, and leaves it unset by default', async () => {
    const world = await aSettingsWorld();

    const tokyo = await savePartner(world, aPublisher(), {
      partnerId: 'partner-x',
      partner: { ...partnerBody, timeZone: 'Asia/Tokyo' },
    });
    const unset = await savePartner(world, aPublisher(), {
      partnerId: 'partner-y',
      partner: { ...partnerBody, tenantId: 'tenant-partner-y' },
    });

    expect(tokyo.timeZone).toBe('Asia/Tokyo');
    expect(unset.timeZone).toBeUndefined();
    await expect(
      savePartner(world, aPublisher(), { partnerId: 'partner-z', partner: { ...partnerBody, timeZone: 'Tokyo' } }),
    ).rejects.toMatchObject({ name: 'ValidationError', field: 'timeZone' });
  });

  it('lets the publisher register a partner, who reads itself but not another partner', async () => {
    const world = await aSettingsWorld();

    const partner = await savePartner(world, aPublisher(), { partnerId: 'partner-x', partner: partnerBody });

    expect(partner).toMatchObject({ id: 'partner-x', locale: 'ja' });
    expect(world.contacts.registered.map((r) => r.recipient)).toEqual([{ kind: 'partner', id: 'partner-x' }]);
    expect(await getPartner(world, aPartner('partner-x'), 'partner-x')).toEqual(partner);
    await expect(getPartner(world, aPartner('partner-y'), 'partner-x')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      savePartner(world, aPartner('partner-x'), { partnerId: 'partner-x', partner: partnerBody }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('links a customer subscription with credit levels and makes the partner its partner', async () => {
    const world = await aSettingsWorld();
    await world.partners.putPartner(aPartnerRecord({ id: 'partner-x' }));

    const link = await linkPartnerCustomer(world, aPublisher(), {
      partnerId: 'partner-x',
      subscriptionId: world.subscriptionA.id,
      levels,
    });

    expect(link).toMatchObject({
      partnerId: 'partner-x',
      customerId: 'tenant-a',
      subscriptionId: world.subscriptionA.id,
    });
    expect((await world.subscriptions.get(world.subscriptionA.id))?.partnerId).toBe('partner-x');
    // The partner may now change the levels of its own customer, not take over another's.
    await linkPartnerCustomer(world, aPartner('partner-x'), {
      partnerId: 'partner-x',
      subscriptionId: world.subscriptionA.id,
      levels: { ...levels, purchaseBlocked: jpy('250000') },
    });
    await expect(
      linkPartnerCustomer(world, aPartner('partner-x'), {
        partnerId: 'partner-x',
        subscriptionId: world.subscriptionB.id,
        levels,
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      linkPartnerCustomer(world, aCustomer({ tenantId: 'tenant-a' }), {
        partnerId: 'partner-x',
        subscriptionId: world.subscriptionA.id,
        levels,
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('stamps a new link or purchase-blocked level with the time it was set, keeping the stamp when it is unchanged', async () => {
    const world = await aSettingsWorld();
    await world.partners.putPartner(aPartnerRecord({ id: 'partner-x' }));
    const link = (purchaseBlocked: string) =>
      linkPartnerCustomer(world, aPublisher(), {
        partnerId: 'partner-x',
        subscriptionId: world.subscriptionA.id,
        levels: { ...levels, purchaseBlocked: jpy(purchaseBlocked) },
      });

    const created = await link('200000');
    world.clock.set('2025-06-21T00:00:00Z');
    const warningOnly = await linkPartnerCustomer(world, aPublisher(), {
      partnerId: 'partner-x',
      subscriptionId: world.subscriptionA.id,
      levels: { ...levels, warning: jpy('90000') },
    });
    world.clock.set('2025-06-22T00:00:00Z');
    const lowered = await link('180000');

    // The month-start check of a level set mid-month is the current status as of that instant (credit.ts).
    expect(created.purchaseBlockedLevelSetAt).toEqual(new Date('2025-06-20T03:00:00Z'));
    expect(warningOnly.purchaseBlockedLevelSetAt).toEqual(new Date('2025-06-20T03:00:00Z'));
    expect(lowered.purchaseBlockedLevelSetAt).toEqual(new Date('2025-06-22T00:00:00Z'));
    expect((await world.partners.getCreditLink(world.subscriptionA.id))?.purchaseBlockedLevelSetAt).toEqual(
      new Date('2025-06-22T00:00:00Z'),
    );
  });

  it('keeps the link when a webhook writes the subscription at the same moment', async () => {
    const world = await aSettingsWorld();
    await world.partners.putPartner(aPartnerRecord({ id: 'partner-x' }));
    const racing = {
      ...world.subscriptions,
      read: world.subscriptions.read.bind(world.subscriptions),
      save: async (subscription: Parameters<typeof world.subscriptions.save>[0], version: number | undefined) => {
        if (!racing.raced) {
          racing.raced = true;
          const current = await world.subscriptions.read(subscription.id);
          if (!current) throw new Error('the subscription is gone');
          await world.subscriptions.save({ ...current.subscription, quantity: 7 }, current.version);
        }
        return world.subscriptions.save(subscription, version);
      },
      raced: false,
    };

    await linkPartnerCustomer({ ...world, subscriptions: racing }, aPublisher(), {
      partnerId: 'partner-x',
      subscriptionId: world.subscriptionA.id,
      levels,
    });

    expect(await world.subscriptions.get(world.subscriptionA.id)).toMatchObject({
      partnerId: 'partner-x',
      quantity: 7,
    });
  });

  it('refuses levels that are not increasing, and an unknown partner', async () => {
    const world = await aSettingsWorld();
    await world.partners.putPartner(aPartnerRecord({ id: 'partner-x' }));

    await expect(
      linkPartnerCustomer(world, aPublisher(), {
        partnerId: 'partner-x',
        subscriptionId: world.subscriptionA.id,
        levels: { ...levels, purchaseBlocked: jpy('120000') },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      linkPartnerCustomer(world, aPublisher(), { partnerId: 'nobody', subscriptionId: world.subscriptionA.id, levels }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lets a partner approve a change for its own linked customer only, until the expiry', async () => {
    const world = await aSettingsWorld();
    await world.partners.putCreditLink(aCreditLink({ partnerId: 'partner-x', subscriptionId: world.subscriptionA.id }));
    const approval = { subscriptionId: world.subscriptionA.id, planId: 'premium', expiresAt: '2025-06-27T00:00:00Z' };

    const approved = await approvePurchaseChange({ ...world, newId: () => 'approval-1' }, aPartner('partner-x'), {
      partnerId: 'partner-x',
      approval,
    });

    expect(approved).toMatchObject({ id: 'approval-1', partnerId: 'partner-x', planId: 'premium' });
    expect(await world.partners.listApprovals(world.subscriptionA.id)).toEqual([approved]);
    await expect(
      approvePurchaseChange(world, aPartner('partner-y'), { partnerId: 'partner-y', approval }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      approvePurchaseChange(world, aPartner('partner-y'), { partnerId: 'partner-x', approval }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      approvePurchaseChange(world, aPartner('partner-x'), {
        partnerId: 'partner-x',
        approval: { ...approval, expiresAt: '2025-06-19T00:00:00Z' },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses an approval for a plan the subscription’s offer does not have, naming the offer’s plans', async () => {
    const world = await aSettingsWorld();
    await world.partners.putCreditLink(aCreditLink({ partnerId: 'partner-x', subscriptionId: world.subscriptionA.id }));
    const approval = { subscriptionId: world.subscriptionA.id, planId: 'Premium', expiresAt: '2025-06-27T00:00:00Z' };

    const refused = approvePurchaseChange(world, aPartner('partner-x'), { partnerId: 'partner-x', approval });

    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toThrow(/plan "Premium" is not a plan of offer "cloud-all"; its plans: "metered"/);
    expect(await world.partners.listApprovals(world.subscriptionA.id)).toEqual([]);
  });
});

describe('linkResellerPurchase', () => {
  it("links a purchase made from a registered partner's tenant to that partner, once", async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    await world.partners.putPartner(aPartnerRecord({ id: 'partner-x', tenantId: 'tenant-partner-x' }));
    const bought = anActiveSubscription({
      activatedAt: '2025-06-01T00:00:00Z',
      customerId: 'tenant-a',
      purchaserTenantId: 'tenant-partner-x',
    });
    await world.subscriptions.put(bought);

    const first = await linkResellerPurchase(world, { subscriptionId: bought.id });
    const again = await linkResellerPurchase(world, { subscriptionId: bought.id });

    expect(first).toEqual({ outcome: 'linked', partnerId: 'partner-x' });
    expect(again).toEqual({ outcome: 'alreadyLinked', partnerId: 'partner-x' });
    expect((await world.subscriptions.get(bought.id))?.partnerId).toBe('partner-x');
  });

  it("never links a personal account's purchase to a partner stored with the consumer tenant", async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    // Stored before partners of that tenant were refused (savePartner refuses it now).
    await world.partners.putPartner({ ...aPartnerRecord({ id: 'partner-msa' }), tenantId: CONSUMER_TENANT_ID });
    const gift = anActiveSubscription({
      activatedAt: '2025-06-01T00:00:00Z',
      customerId: 'tenant-a',
      purchaserTenantId: CONSUMER_TENANT_ID,
    });
    await world.subscriptions.put(gift);

    expect(await linkResellerPurchase(world, { subscriptionId: gift.id })).toEqual({
      outcome: 'notAResellerPurchase',
    });
    expect((await world.subscriptions.get(gift.id))?.partnerId).toBeUndefined();
  });

  it('leaves direct purchases, unknown purchasers and subscriptions the publisher linked elsewhere alone', async () => {
    const world = anEvaluationWorld('2025-06-20T03:00:00Z');
    await world.partners.putPartner(aPartnerRecord({ id: 'partner-x', tenantId: 'tenant-partner-x' }));
    const direct = anActiveSubscription({ activatedAt: '2025-06-01T00:00:00Z', customerId: 'tenant-a' });
    const unknown = anActiveSubscription({ activatedAt: '2025-06-01T00:00:00Z', purchaserTenantId: 'tenant-other' });
    const elsewhere = anActiveSubscription({
      activatedAt: '2025-06-01T00:00:00Z',
      purchaserTenantId: 'tenant-partner-x',
      partnerId: 'partner-y',
    });
    for (const s of [direct, unknown, elsewhere]) await world.subscriptions.put(s);

    expect((await linkResellerPurchase(world, { subscriptionId: direct.id })).outcome).toBe('notAResellerPurchase');
    expect((await linkResellerPurchase(world, { subscriptionId: unknown.id })).outcome).toBe('notAResellerPurchase');
    expect(await linkResellerPurchase(world, { subscriptionId: elsewhere.id })).toEqual({
      outcome: 'linkedToAnother',
      partnerId: 'partner-y',
    });
    expect((await linkResellerPurchase(world, { subscriptionId: 'missing' })).outcome).toBe('notFound');
    expect((await world.subscriptions.get(elsewhere.id))?.partnerId).toBe('partner-y');
  });
});

describe('alert history', () => {
  async function aHistory() {
    const world = await aSettingsWorld();
    const templates = oneCandidatePerRule((scale) => yen(scale === 'small' ? '1000' : '200000'));
    const subA = world.subscriptionA.id;
    const toCustomerA = {
      ...templates.budgetThreshold,
      recipient: { kind: 'customer' as const, id: 'tenant-a' },
      customerId: 'tenant-a',
      subscriptionId: subA,
    };
    const toPartnerX = {
      ...templates.chargesOverCreditLevel,
      recipient: { kind: 'partner' as const, id: 'partner-x' },
      customerId: 'tenant-a',
      subscriptionId: subA,
    };
    const toCustomerB = {
      ...templates.spike,
      recipient: { kind: 'customer' as const, id: 'tenant-b' },
      customerId: 'tenant-b',
      subscriptionId: world.subscriptionB.id,
    };
    for (const candidate of [toCustomerA, toPartnerX, toCustomerB]) {
      await deliverAlert(world, { candidate, locale: 'en' });
    }
    await world.subscriptions.put({ ...world.subscriptionA, partnerId: 'partner-x' });
    return { world, subA };
  }

  it('shows customers and partners their own alerts only; the publisher any', async () => {
    const { world, subA } = await aHistory();

    const ofA = await listAlertHistory(world, aCustomer({ tenantId: 'tenant-a' }), {});
    const ofX = await listAlertHistory(world, aPartner('partner-x'), {});
    const bySubscriptionForA = await listAlertHistory(world, aCustomer({ subscriptionIds: [subA] }), {
      subscriptionId: subA,
    });
    const bySubscriptionForX = await listAlertHistory(world, aPartner('partner-x'), { subscriptionId: subA });
    const asPublisher = await listAlertHistory(world, aPublisher(), { recipient: 'customer:tenant-b' });

    expect(ofA.alerts.map((a) => a.recipient)).toEqual(['customer:tenant-a']);
    expect(ofX.alerts.map((a) => a.recipient)).toEqual(['partner:partner-x']);
    expect(bySubscriptionForA.alerts.map((a) => a.rule)).toEqual(['budgetThreshold']);
    expect(bySubscriptionForX.alerts.map((a) => a.rule)).toEqual(['chargesOverCreditLevel']);
    expect(asPublisher.alerts.map((a) => a.rule)).toEqual(['spike']);
  });

  it('shows what the notifier did for each contact: "sent" only when the channel accepted it', async () => {
    const { world } = await aHistory();
    const [alert] = (await listAlertHistory(world, aCustomer({ tenantId: 'tenant-a' }), {})).alerts;
    const key = alert?.key ?? '';
    const at = new Date('2025-06-20T03:00:05Z');
    const confirmed = { channel: 'email', address: 'it@a.example' } as const;
    const unconfirmed = { channel: 'sms', address: '+819012345678' } as const;
    await world.deliveries.claim(key, confirmed, at, new Date(at.getTime() + 60_000));
    await world.deliveries.settle(key, confirmed, 1, { state: 'sent', messageId: 'ses-1' }, at);
    await world.deliveries.claim(key, unconfirmed, at, new Date(at.getTime() + 60_000));
    await world.deliveries.settle(key, unconfirmed, 1, { state: 'held', reason: 'pending' }, at);

    const [shown] = (await listAlertHistory(world, aCustomer({ tenantId: 'tenant-a' }), {})).alerts;

    expect(alert?.deliveries).toEqual([]);
    expect(shown?.deliveries).toEqual([
      { channel: 'email', address: 'it@a.example', state: 'sent', at: at.toISOString() },
      { channel: 'sms', address: '+819012345678', state: 'held', reason: 'pending', at: at.toISOString() },
    ]);
  });

  it("refuses another recipient's history and a malformed recipient", async () => {
    const { world, subA } = await aHistory();

    await expect(
      listAlertHistory(world, aCustomer({ tenantId: 'tenant-b' }), { recipient: 'customer:tenant-a' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      listAlertHistory(world, aPartner('partner-y'), { recipient: 'partner:partner-x' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listAlertHistory(world, aPartner('partner-y'), { subscriptionId: subA })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(listAlertHistory(world, aPublisher(), { recipient: 'tenant-a' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(listAlertHistory(world, aPublisher(), {})).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('alert outbox', () => {
  it('is for the publisher, and does not exist without an outbox', async () => {
    const outbox = new InMemoryOutbox();

    await expect(listAlertOutbox({}, aPublisher())).rejects.toBeInstanceOf(NotFoundError);
    await expect(listAlertOutbox({ outbox }, aPartner())).rejects.toBeInstanceOf(ForbiddenError);
    expect(await listAlertOutbox({ outbox }, aPublisher())).toEqual([]);
  });
});

// ConflictError is what the partner store raises for a tenant that belongs to another partner.
it('reports a tenant that belongs to another partner as a conflict', async () => {
  const world = await aSettingsWorld();
  await savePartner(world, aPublisher(), { partnerId: 'partner-x', partner: { name: 'X', tenantId: 'tenant-shared' } });

  await expect(
    savePartner(world, aPublisher(), { partnerId: 'partner-y', partner: { name: 'Y', tenantId: 'tenant-shared' } }),
  ).rejects.toBeInstanceOf(ConflictError);
});
