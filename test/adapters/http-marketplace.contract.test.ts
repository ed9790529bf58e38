import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { MARKETPLACE_SCOPE } from '#shared/adapters/marketplace/access-token-cache.ts';
import { createHttpMarketplace } from '#shared/adapters/marketplace/create-marketplace.ts';
import {
  type HttpMarketplace,
  MarketplaceBadRequestError,
  MarketplaceConflictError,
  MarketplaceForbiddenError,
  MarketplaceNotFoundError,
  MarketplaceTokenError,
  MarketplaceUnavailableError,
  UsageEventConflictError,
} from '#shared/adapters/marketplace/http-marketplace.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { waitForOperation } from '#shared/use-cases/fulfillment/wait-for-operation.ts';
import type { UsageEvent, UsageEventResult } from '#shared/use-cases/ports/marketplace.ts';
import { emulatorCredential, emulatorMarketplace, quietLogger } from '#test/helpers/emulator-client.ts';

// Contract tests of HttpMarketplace against the project's marketplace emulator (infra/local/emulator), with the real
// @azure/identity ClientSecretCredential fetching tokens from the emulator's fake Entra over HTTPS: no stubbed token.

const OFFER = 'contoso-analytics';
const HOUR = 3_600_000;
const credentialFor = emulatorCredential;

/** The contract tests' client: quick retries, so injected faults do not slow the suite. */
function clientFor(
  emulator: MarketplaceEmulator,
  overrides: Partial<ConstructorParameters<typeof HttpMarketplace>[0]> = {},
) {
  return emulatorMarketplace(emulator, {
    retry: { maxAttempts: 5, totalBudgetMs: 10_000, baseDelayMs: 20, maxDelayMs: 200, attemptTimeoutMs: 3_000 },
    ...overrides,
  });
}

let catalog: Catalog;

beforeAll(async () => {
  catalog = await loadCatalog('infra/catalog/catalog.yaml');
});

async function purchase(emulator: MarketplaceEmulator, planId: string, quantity?: number) {
  const tenantId = randomUUID();
  return emulator.control.purchase({
    offerId: OFFER,
    planId,
    ...(quantity === undefined ? {} : { quantity }),
    beneficiary: { tenantId, emailId: 'user@customer.example' },
    purchaser: { tenantId, emailId: 'buyer@customer.example' },
  });
}

/** What the landing page does: read `?token=` (URLSearchParams decodes it exactly once). */
function landingToken(landingUrl: string): string {
  return new URL(landingUrl).searchParams.get('token') ?? '';
}

describe('HttpMarketplace against the marketplace emulator', () => {
  const START = new Date('2026-03-02T10:00:00Z');
  let emulator: MarketplaceEmulator;
  let marketplace: HttpMarketplace;
  const sleepOnEmulatorClock = {
    clock: { now: () => emulator.control.now() },
    sleep: (ms: number) => emulator.control.advance(ms),
  };

  async function activeSubscription(planId = 'basic', quantity?: number): Promise<string> {
    const bought = await purchase(emulator, planId, quantity);
    await marketplace.activate(bought.subscriptionId, { planId, ...(quantity === undefined ? {} : { quantity }) });
    return bought.subscriptionId;
  }

  beforeAll(async () => {
    emulator = await startMarketplaceEmulator({ catalog, startTime: START, clock: 'manual', operationDelayMs: 1_000 });
    marketplace = clientFor(emulator);
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  describe('resolve', () => {
    it('resolves a URL-decoded landing token to the purchase', async () => {
      const bought = await purchase(emulator, 'team', 5);

      const resolved = await marketplace.resolve(landingToken(bought.landingUrl));

      expect(resolved).toMatchObject({ id: bought.subscriptionId, offerId: OFFER, planId: 'team', quantity: 5 });
      expect(resolved.subscription?.saasSubscriptionStatus).toBe('PendingFulfillmentStart');
    });

    it('answers 400 to a malformed token', async () => {
      await expect(marketplace.resolve('not-a-token')).rejects.toThrow(MarketplaceBadRequestError);
    });

    it('answers 400 to an expired token', async () => {
      const emulatorB = await startMarketplaceEmulator({ catalog, startTime: START, clock: 'manual' });
      try {
        const bought = await purchase(emulatorB, 'basic');
        await emulatorB.control.advance(25 * HOUR);
        // A new credential after moving the clock: its token is minted on the emulator's new time.
        await expect(clientFor(emulatorB).resolve(landingToken(bought.landingUrl))).rejects.toThrow(/expired/);
      } finally {
        await emulatorB.stop();
      }
    });
  });

  describe('authentication', () => {
    // Entra issues v1 tokens for the marketplace resource (marketplace-2026.md); the client treats tokens as opaque
    // strings (it never decodes them), so either shape must work end to end.
    it.each([
      ['v1', { appid: true, ver: '1.0', issuer: /^https:\/\/sts\.windows\.net\// }],
      ['v2', { appid: false, ver: '2.0', issuer: /\/v2\.0$/ }],
    ] as const)('works with %s access tokens for the marketplace resource', async (version, shape) => {
      const shaped = await startMarketplaceEmulator({
        catalog,
        startTime: START,
        clock: 'manual',
        marketplaceTokenVersion: version,
      });
      try {
        const bought = await purchase(shaped, 'basic');
        const client = clientFor(shaped);
        const token = await emulatorCredential(shaped).getToken(MARKETPLACE_SCOPE);
        const claims = decodeJwt(token?.token ?? '');

        await client.activate(bought.subscriptionId, { planId: 'basic' });

        expect(claims.ver).toBe(shape.ver);
        expect(claims.iss).toMatch(shape.issuer);
        expect(claims.appid === shaped.entra.clientId).toBe(shape.appid);
        expect((await client.getSubscription(bought.subscriptionId)).saasSubscriptionStatus).toBe('Subscribed');
      } finally {
        await shaped.stop();
      }
    });

    it('answers 403 to a token of another Entra app, with what to check in Partner Center', async () => {
      const otherApp = emulator.control.registerApplication();
      const foreign = clientFor(emulator, {
        credential: credentialFor(emulator, otherApp),
      });

      const error = await foreign.getSubscription(randomUUID()).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(MarketplaceForbiddenError);
      expect((error as Error).message).toMatch(/Technical configuration/);
    });

    it('works when wired from configuration: secret read from "Secrets Manager", CA trusted from a file', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'emulator-ca-'));
      const caCertificatePath = join(directory, 'ca.pem');
      await writeFile(caCertificatePath, emulator.entra.caCertificatePem);
      const reads: string[] = [];
      const wired = await createHttpMarketplace(
        {
          baseUrl: emulator.baseUrl,
          tenantId: emulator.entra.tenantId,
          clientId: emulator.entra.clientId,
          credential: { kind: 'secret', secret: { secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:entra' } },
          authorityHost: emulator.entra.authorityHost,
          caCertificatePath,
        },
        {
          readSecret: async (secretId) => {
            reads.push(secretId);
            return JSON.stringify({ clientSecret: emulator.entra.clientSecret });
          },
          logger: quietLogger,
        },
      );

      await expect(wired.getSubscription(randomUUID())).rejects.toThrow(MarketplaceNotFoundError);
      expect(reads).toEqual(['arn:aws:secretsmanager:eu-west-1:1:secret:entra']);
    });

    it('reports a wrong client secret as MarketplaceTokenError before calling the API', async () => {
      const wrong = clientFor(emulator, {
        credential: credentialFor(emulator, { ...emulator.entra, clientSecret: 'wrong' }),
      });

      await expect(wrong.getSubscription(randomUUID())).rejects.toThrow(MarketplaceTokenError);
    });
  });

  describe('activate and get', () => {
    it('activates a pending subscription, which becomes Subscribed', async () => {
      const bought = await purchase(emulator, 'team', 3);

      await marketplace.activate(bought.subscriptionId, { planId: 'team', quantity: 3 });

      const subscription = await marketplace.getSubscription(bought.subscriptionId);
      expect(subscription).toMatchObject({
        id: bought.subscriptionId,
        saasSubscriptionStatus: 'Subscribed',
        quantity: 3,
      });
      expect(subscription.term?.startDate).toBeDefined();
    });

    it('answers 400 to a plan other than the purchased one and to a second activation', async () => {
      const bought = await purchase(emulator, 'basic');

      await expect(marketplace.activate(bought.subscriptionId, { planId: 'pro' })).rejects.toThrow(
        MarketplaceBadRequestError,
      );
      await marketplace.activate(bought.subscriptionId, { planId: 'basic' });
      await expect(marketplace.activate(bought.subscriptionId, { planId: 'basic' })).rejects.toThrow(/already/);
    });

    it('answers 404 when activating an Unsubscribed subscription', async () => {
      const bought = await purchase(emulator, 'basic');
      await emulator.control.unsubscribe(bought.subscriptionId);

      await expect(marketplace.activate(bought.subscriptionId, { planId: 'basic' })).rejects.toThrow(
        MarketplaceNotFoundError,
      );
    });

    it('answers 404 for an unknown subscription', async () => {
      await expect(marketplace.getSubscription(randomUUID())).rejects.toThrow(MarketplaceNotFoundError);
    });
  });

  describe('list subscriptions', () => {
    it('follows @nextLink over every page of 100', async () => {
      const emulatorC = await startMarketplaceEmulator({ catalog, startTime: START, clock: 'manual' });
      try {
        const bought = await Promise.all(Array.from({ length: 130 }, () => purchase(emulatorC, 'basic')));
        const client = clientFor(emulatorC);

        const first = await client.listSubscriptionsPage();
        const ids: string[] = [];
        for await (const subscription of client.listSubscriptions()) ids.push(subscription.id);

        expect(first.subscriptions).toHaveLength(100);
        expect(first.nextLink).toBeDefined();
        expect(new Set(ids)).toEqual(new Set(bought.map((item) => item.subscriptionId)));
        expect(ids).toHaveLength(130);
      } finally {
        await emulatorC.stop();
      }
    });

    it('reads an empty listing as no subscriptions', async () => {
      const emulatorD = await startMarketplaceEmulator({ catalog, startTime: START, clock: 'manual' });
      try {
        const client = clientFor(emulatorD);
        const ids: string[] = [];
        for await (const subscription of client.listSubscriptions()) ids.push(subscription.id);

        expect(ids).toEqual([]);
      } finally {
        await emulatorD.stop();
      }
    });
  });

  describe('list available plans', () => {
    it('lists the public plans with their dimensions, and one plan when asked', async () => {
      const subscriptionId = await activeSubscription('basic');

      const plans = await marketplace.listAvailablePlans(subscriptionId);
      const pro = await marketplace.listAvailablePlans(subscriptionId, 'pro');

      expect(plans.map((plan) => plan.planId)).toEqual(expect.arrayContaining(['basic', 'pro', 'team']));
      expect(plans.map((plan) => plan.planId)).not.toContain('enterprise-acme');
      const basic = plans.find((plan) => plan.planId === 'basic');
      expect(basic?.planComponents.meteringDimensions.map((dimension) => dimension.id)).toEqual(
        expect.arrayContaining(['api-calls', 'gb-processed', 'reports']),
      );
      expect(pro.map((plan) => plan.planId)).toEqual(['pro']);
    });

    it('answers 404 for an unknown subscription', async () => {
      await expect(marketplace.listAvailablePlans(randomUUID())).rejects.toThrow(MarketplaceNotFoundError);
    });
  });

  describe('publisher-initiated changes and operations', () => {
    it('changes the plan: 202 with an operation that ends Succeeded', async () => {
      const subscriptionId = await activeSubscription('basic');

      const started = await marketplace.changePlan(subscriptionId, 'instant');
      const operation = await waitForOperation(
        { marketplace, ...sleepOnEmulatorClock },
        { subscriptionId, operationId: started.operationId, intervalMs: 500, timeoutMs: 10_000 },
      );

      expect(started.operationLocation).toContain(`/operations/${started.operationId}`);
      expect(operation).toMatchObject({ id: started.operationId, action: 'ChangePlan', status: 'Succeeded' });
      expect((await marketplace.getSubscription(subscriptionId)).planId).toBe('instant');
    });

    it('answers 400 to a change to the same plan, to a locked subscription, and 404 to an unknown one', async () => {
      const subscriptionId = await activeSubscription('basic');

      await expect(marketplace.changePlan(subscriptionId, 'basic')).rejects.toThrow(MarketplaceBadRequestError);
      await marketplace.changePlan(subscriptionId, 'instant');
      await expect(marketplace.changePlan(subscriptionId, 'team')).rejects.toThrow(/locked/);
      await expect(marketplace.changePlan(randomUUID(), 'instant')).rejects.toThrow(MarketplaceNotFoundError);
    });

    it('changes the quantity of a per-seat plan, and refuses one out of range', async () => {
      const subscriptionId = await activeSubscription('team', 5);

      await expect(marketplace.changeQuantity(subscriptionId, 500)).rejects.toThrow(MarketplaceBadRequestError);
      const started = await marketplace.changeQuantity(subscriptionId, 7);
      const operation = await waitForOperation(
        { marketplace, ...sleepOnEmulatorClock },
        { subscriptionId, operationId: started.operationId, intervalMs: 500, timeoutMs: 10_000 },
      );

      expect(operation).toMatchObject({ action: 'ChangeQuantity', status: 'Succeeded' });
      expect((await marketplace.getSubscription(subscriptionId)).quantity).toBe(7);
    });

    it('deletes a subscription: 202, then Unsubscribed; 404 for an unknown one', async () => {
      const subscriptionId = await activeSubscription('basic');

      const started = await marketplace.deleteSubscription(subscriptionId);
      const operation = await waitForOperation(
        { marketplace, ...sleepOnEmulatorClock },
        { subscriptionId, operationId: started.operationId, intervalMs: 500, timeoutMs: 10_000 },
      );

      expect(operation).toMatchObject({ action: 'Unsubscribe', status: 'Succeeded' });
      expect((await marketplace.getSubscription(subscriptionId)).saasSubscriptionStatus).toBe('Unsubscribed');
      await expect(marketplace.deleteSubscription(randomUUID())).rejects.toThrow(MarketplaceNotFoundError);
    });

    it('lists an outstanding portal change, acknowledges it, and gets 409 for a second acknowledgement', async () => {
      const subscriptionId = await activeSubscription('basic');
      const portalChange = await emulator.control.changePlanFromPortal(subscriptionId, 'instant');

      const outstanding = await marketplace.listOutstandingOperations(subscriptionId);
      await marketplace.updateOperation(subscriptionId, portalChange.id, 'Success');

      expect(outstanding).toEqual([
        expect.objectContaining({ id: portalChange.id, action: 'ChangePlan', status: 'InProgress', planId: 'instant' }),
      ]);
      expect((await marketplace.getOperation(subscriptionId, portalChange.id)).status).toBe('Succeeded');
      await expect(marketplace.updateOperation(subscriptionId, portalChange.id, 'Failure')).rejects.toThrow(
        MarketplaceConflictError,
      );
      expect(await marketplace.listOutstandingOperations(subscriptionId)).toEqual([]);
    });

    it('answers 404 for an unknown operation or subscription', async () => {
      const subscriptionId = await activeSubscription('basic');

      await expect(marketplace.getOperation(subscriptionId, randomUUID())).rejects.toThrow(MarketplaceNotFoundError);
      await expect(marketplace.updateOperation(subscriptionId, randomUUID(), 'Success')).rejects.toThrow(
        MarketplaceNotFoundError,
      );
      await expect(marketplace.listOutstandingOperations(randomUUID())).rejects.toThrow(MarketplaceNotFoundError);
    });
  });

  describe('metering', () => {
    const hourStart = () => new Date(Math.floor(emulator.control.now().getTime() / HOUR) * HOUR).toISOString();

    it('accepts a usage event, and answers 409 with the accepted event to a second one for the same hour', async () => {
      const subscriptionId = await activeSubscription('basic');
      const event: UsageEvent = {
        resourceId: subscriptionId,
        quantity: 12.5,
        dimension: 'api-calls',
        effectiveStartTime: hourStart(),
        planId: 'basic',
      };

      const accepted = await marketplace.postUsageEvent(event);
      const conflict = await marketplace.postUsageEvent({ ...event, quantity: 3 }).catch((caught: unknown) => caught);

      expect(accepted).toMatchObject({ status: 'Accepted', resourceId: subscriptionId, quantity: 12.5 });
      expect(accepted.usageEventId).toBeDefined();
      expect(conflict).toBeInstanceOf(UsageEventConflictError);
      expect((conflict as UsageEventConflictError).acceptedMessage).toMatchObject({
        usageEventId: accepted.usageEventId,
        quantity: 12.5,
      });
    });

    it('answers 400 with details to an expired event and to an unknown dimension', async () => {
      const subscriptionId = await activeSubscription('basic');
      const base = { resourceId: subscriptionId, quantity: 1, planId: 'basic' };

      const expired = await marketplace
        .postUsageEvent({
          ...base,
          dimension: 'api-calls',
          effectiveStartTime: new Date(emulator.control.now().getTime() - 25 * HOUR).toISOString(),
        })
        .catch((caught: unknown) => caught);
      await expect(
        marketplace.postUsageEvent({ ...base, dimension: 'no-such-dimension', effectiveStartTime: hourStart() }),
      ).rejects.toThrow(MarketplaceBadRequestError);

      expect(expired).toBeInstanceOf(MarketplaceBadRequestError);
      expect((expired as MarketplaceBadRequestError).code ?? '').toMatch(/Expired|BadArgument/);
    });

    it('reports every per-event status of a batch', async () => {
      const subscriptionId = await activeSubscription('basic');
      const pending = (await purchase(emulator, 'basic')).subscriptionId;
      const at = hourStart();
      const event = (overrides: Partial<UsageEvent>): UsageEvent => ({
        resourceId: subscriptionId,
        quantity: 2,
        dimension: 'gb-processed',
        effectiveStartTime: at,
        planId: 'basic',
        ...overrides,
      });
      await marketplace.postUsageEvent(event({ dimension: 'reports' }));

      const batch = await marketplace.postBatchUsageEvents([
        event({}),
        event({ dimension: 'reports' }),
        event({ dimension: 'api-calls', effectiveStartTime: new Date(Date.parse(at) - 30 * HOUR).toISOString() }),
        event({ dimension: 'no-such-dimension' }),
        event({ dimension: 'api-calls', quantity: 0 }),
        event({ resourceId: randomUUID() }),
        event({ resourceId: pending }),
      ]);

      expect(batch.count).toBe(7);
      expect(batch.result.map((item) => item.status)).toEqual([
        'Accepted',
        'Duplicate',
        'Expired',
        'InvalidDimension',
        'InvalidQuantity',
        'ResourceNotFound',
        'ResourceNotActive',
      ]);
      expect(batch.result[1]?.acceptedMessage).toMatchObject({ quantity: 2, dimension: 'reports' });
    });

    it('refuses an empty or oversized batch without calling Microsoft', async () => {
      const event: UsageEvent = {
        resourceId: randomUUID(),
        quantity: 1,
        dimension: 'api-calls',
        effectiveStartTime: hourStart(),
        planId: 'basic',
      };

      await expect(marketplace.postBatchUsageEvents([])).rejects.toThrow(ValidationError);
      await expect(marketplace.postBatchUsageEvents(Array(26).fill(event))).rejects.toThrow(ValidationError);
    });

    it('retrieves usage aggregated per day, and answers 400 to a query without a start date', async () => {
      const subscriptionId = await activeSubscription('basic');
      await marketplace.postUsageEvent({
        resourceId: subscriptionId,
        quantity: 4,
        dimension: 'api-calls',
        effectiveStartTime: hourStart(),
        planId: 'basic',
      });

      const rows = await marketplace.getUsageEvents({ usageStartDate: START.toISOString().slice(0, 10) });

      expect(rows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ usageResourceId: subscriptionId, dimension: 'api-calls', submittedQuantity: 4 }),
        ]),
      );
      await expect(marketplace.getUsageEvents({ usageStartDate: '' })).rejects.toThrow(MarketplaceBadRequestError);
    });
  });
});

describe('acceptance: 1,000 batch submissions under 20% injected 5xx/429 and dropped connections', () => {
  const START = new Date('2026-03-10T00:00:00Z');
  const BATCHES = 1_000;
  const HOURS = 23;
  const DIMENSIONS = ['api-calls', 'gb-processed', 'reports'] as const;
  let emulator: MarketplaceEmulator;

  beforeAll(async () => {
    emulator = await startMarketplaceEmulator({ catalog, startTime: START, clock: 'manual', seed: 20260310 });
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  it('ends with every event accepted exactly once, as the emulator ledger proves', async () => {
    // Prepare: enough subscriptions, Subscribed from START, so every (subscription, dimension, hour) slot is valid.
    const setup = clientFor(emulator);
    const subscriptionIds: string[] = [];
    for (let index = 0; index < Math.ceil(BATCHES / HOURS); index++) {
      const bought = await purchase(emulator, 'basic');
      await setup.activate(bought.subscriptionId, { planId: 'basic' });
      subscriptionIds.push(bought.subscriptionId);
    }
    // Not metered: its plan change gives the operation routes something to answer under faults.
    const operationTarget = (await purchase(emulator, 'basic')).subscriptionId;
    await setup.activate(operationTarget, { planId: 'basic' });
    const changed = await setup.changePlan(operationTarget, 'instant');
    await emulator.control.advance(HOURS * HOUR);
    // A new credential after moving the emulator clock: its token is minted on the emulator's new time.
    const marketplace = clientFor(emulator, {
      retry: { maxAttempts: 10, totalBudgetMs: 30_000, baseDelayMs: 20, maxDelayMs: 250, attemptTimeoutMs: 2_000 },
    });
    emulator.control.setFaults({
      match: ['metering', 'operations'],
      errorRate: 0.1,
      throttleRate: 0.1,
      retryAfterSeconds: 1,
      dropRate: 0.03,
    });
    const batches: UsageEvent[][] = Array.from({ length: BATCHES }, (_, batch) =>
      DIMENSIONS.map((dimension, index) => ({
        resourceId: subscriptionIds[Math.floor(batch / HOURS)] ?? '',
        dimension,
        quantity: ((batch * 7 + index) % 13) + 1,
        effectiveStartTime: new Date(START.getTime() + (batch % HOURS) * HOUR).toISOString(),
        planId: 'basic',
      })),
    );

    // Act: submit with 25 concurrent workers, as a caller does: Accepted, or Duplicate of our own quantity, is done;
    // a batch that exhausts the client's retries is submitted again (what a redelivered queue message would do).
    const tally = { accepted: 0, duplicateOfOurs: 0, resubmitted: 0 };
    const unexpected: UsageEventResult[] = [];
    const queue = [...batches.keys()];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const events = batches[next] ?? [];
        for (let attempt = 1; ; attempt++) {
          try {
            const { result } = await marketplace.postBatchUsageEvents(events, { correlationId: `batch-${next}` });
            result.forEach((item, index) => {
              if (item.status === 'Accepted') tally.accepted += 1;
              else if (item.status === 'Duplicate' && item.acceptedMessage?.quantity === events[index]?.quantity)
                tally.duplicateOfOurs += 1;
              else unexpected.push(item);
            });
            break;
          } catch (error) {
            if (!(error instanceof MarketplaceUnavailableError) || attempt >= 3) throw error;
            tally.resubmitted += 1;
          }
        }
      }
    };
    const operationPolls = Array.from({ length: 50 }, () =>
      marketplace.getOperation(operationTarget, changed.operationId),
    );
    await Promise.all([...Array.from({ length: 25 }, worker), ...operationPolls]);
    emulator.control.clearFaults();

    // Assess: the ledger holds each slot once, with our quantity, and nothing else.
    const sent = batches.flat();
    const ledger = emulator.control.usageLedger();
    const key = (event: { resourceId: string; dimension: string; effectiveStartTime: string }) =>
      `${event.resourceId}|${event.dimension}|${Math.floor(Date.parse(event.effectiveStartTime) / HOUR)}`;
    const ledgerBySlot = new Map(ledger.map((event) => [key(event), event]));
    expect(unexpected).toEqual([]);
    expect(tally.accepted + tally.duplicateOfOurs).toBe(sent.length);
    expect(tally.duplicateOfOurs).toBeGreaterThan(0); // drops after the write happened, answered Duplicate on retry
    expect(ledger).toHaveLength(sent.length);
    expect(ledgerBySlot.size).toBe(sent.length);
    for (const event of sent) {
      expect(ledgerBySlot.get(key(event))?.quantity).toBe(event.quantity);
    }
  }, 90_000);
});
