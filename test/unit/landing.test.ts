import { describe, expect, it } from 'vitest';
import { landingPage } from '#functions/landing/pages.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import { ACTIVATION_OPERATION_ID, activatePurchase } from '#shared/use-cases/fulfillment/activate-purchase.ts';
import { openLandingPage } from '#shared/use-cases/fulfillment/open-landing-page.ts';
import { InvalidPurchaseTokenError, type LandingDeps } from '#shared/use-cases/fulfillment/resolve-purchase.ts';
import { MarketplaceNotFoundError, MarketplaceUnavailableError } from '#shared/use-cases/ports/marketplace-errors.ts';
import { aCatalog, anOffer, aPlan } from '#test/builders/catalog.ts';
import { FakeMarketplace } from '#test/helpers/fake-marketplace.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryAuditLog } from '#test/helpers/in-memory-audit-log.ts';
import { InMemoryLifecyclePublisher } from '#test/helpers/in-memory-lifecycle-publisher.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';

const catalog = aCatalog({
  offers: [
    anOffer({
      displayName: 'Contoso Analytics',
      plans: [aPlan({ id: 'team', displayName: 'Team', pricingModel: 'perUser', minQuantity: 1, maxQuantity: 50 })],
    }),
  ],
});

function setup() {
  const marketplace = new FakeMarketplace();
  const subscriptions = new InMemorySubscriptionStore();
  const lifecycle = new InMemoryLifecyclePublisher();
  const audit = new InMemoryAuditLog();
  const clock = new FixedClock('2026-01-15T10:00:00.000Z');
  const deps: LandingDeps = { marketplace, subscriptions, lifecycle, audit, clock, catalog };
  const remote = marketplace.addSubscription({ planId: 'team', quantity: 3 });
  const token = marketplace.issueToken(remote.id);
  return { deps, marketplace, subscriptions, lifecycle, audit, clock, remote, token };
}

describe('opening the landing page', () => {
  it('stores a new purchase as PendingFulfillmentStart and shows it with catalog names', async () => {
    const { deps, subscriptions, remote, token } = setup();

    const view = await openLandingPage(deps, { token });

    expect(view).toMatchObject({
      kind: 'confirm',
      purchase: {
        subscriptionId: remote.id,
        offerName: 'Contoso Analytics',
        planName: 'Team',
        quantity: 3,
        purchaserEmail: 'buyer@customer.example',
        beneficiaryEmail: 'user@customer.example',
      },
    });
    expect(await subscriptions.get(remote.id)).toMatchObject({ status: 'PendingFulfillmentStart', planId: 'team' });
  });

  it('keeps the marketplace subscription name, by which alert texts name the subscription', async () => {
    const { deps, marketplace, subscriptions } = setup();
    const remote = marketplace.addSubscription({ planId: 'team', quantity: 3, name: '  Fabrikam production  ' });

    await openLandingPage(deps, { token: marketplace.issueToken(remote.id) });

    expect((await subscriptions.get(remote.id))?.name).toBe('Fabrikam production');
  });

  it('opens and renders a purchase whose term unit it does not rate (termUnit PAY): kept raw, never a crash', async () => {
    const { deps, marketplace, subscriptions } = setup();
    const payg = marketplace.addSubscription({
      planId: 'team',
      quantity: 3,
      term: { termUnit: 'PAY', startDate: '2026-01-15', endDate: '2026-02-14' },
      sandboxType: 'SomethingNew',
    });

    const view = await openLandingPage(deps, { token: marketplace.issueToken(payg.id) });
    const page = landingPage(view, {
      language: 'en',
      formAction: '/landing',
      token: 't',
      csrfToken: 'c',
      signedInAs: 'Casey',
    });

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Team');
    expect(await subscriptions.get(payg.id)).toMatchObject({ unratedTermUnit: 'PAY' });
    expect((await subscriptions.get(payg.id))?.term).toBeUndefined();
  });

  it('passes the token to Resolve exactly as it was given, never decoded again', async () => {
    const { deps, marketplace, remote } = setup();
    const token = 'ab+cd/ef%2Bgh==';
    marketplace.issueToken(remote.id, token);

    await openLandingPage(deps, { token });

    expect(marketplace.callsOf('resolve')[0]?.args[0]).toBe(token);
  });

  it('refuses a missing or unknown token and stores nothing', async () => {
    const { deps, subscriptions, remote } = setup();

    await expect(openLandingPage(deps, { token: undefined })).rejects.toThrow(InvalidPurchaseTokenError);
    await expect(openLandingPage(deps, { token: 'expired' })).rejects.toThrow(InvalidPurchaseTokenError);
    expect(await subscriptions.get(remote.id)).toBeUndefined();
  });

  it('passes other marketplace failures on (our problem, not the customer token)', async () => {
    const { deps, marketplace, token } = setup();
    marketplace.failNext('resolve', new MarketplaceUnavailableError('down', { operation: 'resolve', attempts: 3 }));

    await expect(openLandingPage(deps, { token })).rejects.toThrow(MarketplaceUnavailableError);
  });

  describe('for a purchase of an auto-activated plan (Subscribed at purchase)', () => {
    const autoCatalog = aCatalog({
      offers: [
        anOffer({
          plans: [
            aPlan({ id: 'instant', displayName: 'Instant', autoActivation: true }),
            aPlan({ id: 'basic', displayName: 'Basic' }),
          ],
        }),
      ],
    });
    const term = {
      startDate: '2026-01-15T08:12:00.000Z',
      endDate: '2026-02-14T00:00:00.000Z',
      termUnit: 'P1M' as const,
    };

    function subscribedPurchase(planId: string) {
      const { deps, marketplace, subscriptions } = setup();
      const remote = marketplace.addSubscription({ planId, saasSubscriptionStatus: 'Subscribed', term });
      return { deps: { ...deps, catalog: autoCatalog }, marketplace, subscriptions, remote };
    }

    it('shows it as active, stores it Subscribed from the purchase (its term start), and never activates', async () => {
      const { deps, marketplace, subscriptions, remote } = subscribedPurchase('instant');
      const token = marketplace.issueToken(remote.id);

      const opened = await openLandingPage(deps, { token });
      const posted = await activatePurchase(deps, { token });

      expect(opened).toMatchObject({ kind: 'status', activatedNow: false });
      expect(posted).toMatchObject({ kind: 'status', activatedNow: false });
      expect(marketplace.callsOf('activate')).toEqual([]);
      expect(await subscriptions.get(remote.id)).toMatchObject({
        status: 'Subscribed',
        term,
        timeline: [{ from: term.startDate, status: 'Subscribed', planId: 'instant' }],
      });
    });

    it('dates a Subscribed purchase of another plan from when we learnt of it, as before', async () => {
      const { deps, marketplace, subscriptions, remote } = subscribedPurchase('basic');

      await openLandingPage(deps, { token: marketplace.issueToken(remote.id) });

      expect((await subscriptions.get(remote.id))?.timeline?.[0]?.from).toBe('2026-01-15T10:00:00.000Z');
    });
  });

  it('shows the state of an active subscription on a "Manage account" visit', async () => {
    const { deps, token } = setup();
    await activatePurchase(deps, { token });

    const visit = await openLandingPage(deps, { token });

    expect(visit).toMatchObject({ kind: 'status', activatedNow: false, purchase: { status: 'Subscribed' } });
  });
});

describe('reseller purchases', () => {
  it('offers each purchase stored for the first time to the reseller check, once', async () => {
    const { deps, token } = setup();
    const checked: string[] = [];
    const withCheck: LandingDeps = { ...deps, onNewPurchase: async (id) => void checked.push(id) };

    const view = await openLandingPage(withCheck, { token });
    await openLandingPage(withCheck, { token });

    expect(checked).toEqual([view.purchase.subscriptionId]);
  });
});

describe('activating from the landing page', () => {
  it('activates with the purchased plan and seats, stores Subscribed from now with the term, and publishes once', async () => {
    const { deps, marketplace, subscriptions, lifecycle, remote, token } = setup();
    await openLandingPage(deps, { token });

    const view = await activatePurchase(deps, { token });

    expect(view).toMatchObject({ kind: 'status', activatedNow: true, purchase: { status: 'Subscribed' } });
    expect(marketplace.callsOf('activate').map((call) => call.args[1])).toEqual([{ planId: 'team', quantity: 3 }]);
    const stored = await subscriptions.get(remote.id);
    expect(stored).toMatchObject({ status: 'Subscribed', term: { startDate: '2026-01-15T00:00:00Z' } });
    expect(stored?.timeline?.at(-1)).toMatchObject({ from: '2026-01-15T10:00:00.000Z', status: 'Subscribed' });
    expect(lifecycle.published).toEqual([
      expect.objectContaining({
        type: 'SubscriptionActivated',
        subscriptionId: remote.id,
        planId: 'team',
        quantity: 3,
        operationId: ACTIVATION_OPERATION_ID,
      }),
    ]);
  });

  it('is idempotent: a refresh or double click shows the result without a second activation or event', async () => {
    const { deps, marketplace, lifecycle, token } = setup();
    await activatePurchase(deps, { token });

    const again = await activatePurchase(deps, { token });

    expect(again).toMatchObject({ kind: 'status', activatedNow: false });
    expect(marketplace.callsOf('activate')).toHaveLength(1);
    expect(lifecycle.published).toHaveLength(1);
  });

  it('publishes one event when two tabs activate at the same time', async () => {
    const { deps, lifecycle, subscriptions, remote, token } = setup();
    await openLandingPage(deps, { token });

    const views = await Promise.all([activatePurchase(deps, { token }), activatePurchase(deps, { token })]);

    expect(views.filter((view) => view.kind === 'status' && view.activatedNow)).toHaveLength(1);
    expect(lifecycle.published).toHaveLength(1);
    expect((await subscriptions.get(remote.id))?.status).toBe('Subscribed');
  });

  it('activates even when the GET was skipped, and stores nothing for an invalid token', async () => {
    const { deps, subscriptions, remote, token } = setup();

    await expect(activatePurchase(deps, { token: 'forged' })).rejects.toThrow(InvalidPurchaseTokenError);
    expect(await subscriptions.get(remote.id)).toBeUndefined();
    expect((await activatePurchase(deps, { token })).kind).toBe('status');
  });

  it('says why when Microsoft refuses the activation (cancelled meanwhile)', async () => {
    const { deps, marketplace, lifecycle, token } = setup();
    marketplace.failNext('activate', new MarketplaceNotFoundError('gone', { operation: 'activate', status: 404 }));

    await expect(activatePurchase(deps, { token })).rejects.toThrow(ConflictError);
    expect(lifecycle.published).toEqual([]);
  });

  it('records each landing step in the audit trail', async () => {
    const { deps, audit, token, remote } = setup();

    await openLandingPage(deps, { token, requestId: 'req-get' });
    await activatePurchase(deps, { token, requestId: 'req-post' });

    expect(audit.ofKind('landing')).toEqual([
      expect.objectContaining({
        subscriptionId: remote.id,
        requestId: 'req-get',
        result: 'stored as PendingFulfillmentStart',
      }),
      expect.objectContaining({ subscriptionId: remote.id, requestId: 'req-post', result: 'activated' }),
    ]);
  });
});
