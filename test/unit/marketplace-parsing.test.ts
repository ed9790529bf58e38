import { describe, expect, it } from 'vitest';
import { mapAvailablePlansToOffer } from '#shared/adapters/catalog/available-plans-mapper.ts';
import {
  acceptedUsageEventSchema,
  availablePlansSchema,
  batchUsageEventResultSchema,
  errorBodySchema,
  jsonBody,
  lenientNumber,
  operationSchema,
  operationsSchema,
  reportedUsageListSchema,
  resolvedSubscriptionSchema,
  subscriptionPageSchema,
  subscriptionSchema,
} from '#shared/adapters/marketplace/marketplace-schemas.ts';
import {
  subscriptionFromMarketplace,
  termFromMarketplace,
} from '#shared/use-cases/fulfillment/marketplace-subscription.ts';

// Shaped after the doc samples of reference/marketplace-api.md §1.3 / §6.11: padded statuses, quantity as a string,
// extra fields Microsoft may add.
const docSubscription = {
  id: '<guid>',
  publisherId: 'contoso',
  offerId: 'offer1',
  name: 'Contoso Cloud Solution',
  saasSubscriptionStatus: ' Subscribed ',
  beneficiary: { emailId: 'test@test.com', objectId: '<guid>', tenantId: '<guid>', puid: '<ID>' },
  purchaser: { emailId: 'test@test.com', objectId: '<guid>', tenantId: '<guid>', puid: '<ID>' },
  planId: 'silver',
  term: { termUnit: 'P1M', startDate: '2022-03-07T00:00:00Z', endDate: '2022-04-06T00:00:00Z', chargeDuration: 1 },
  autoRenew: true,
  isTest: false,
  isFreeTrial: false,
  allowedCustomerOperations: ['Delete', 'Update', 'Read'],
  sandboxType: 'None',
  lastModified: '0001-01-01T00:00:00',
  quantity: '20',
  sessionMode: 'None',
  someFieldMicrosoftAddsLater: { nested: true },
};

describe('lenient parsing of Fulfillment API answers', () => {
  it('trims padded statuses and reads a quantity sent as a string', () => {
    const subscription = subscriptionSchema.parse(docSubscription);

    expect(subscription.saasSubscriptionStatus).toBe('Subscribed');
    expect(subscription.quantity).toBe(20);
    expect(subscription.term).toEqual({
      termUnit: 'P1M',
      startDate: '2022-03-07T00:00:00Z',
      endDate: '2022-04-06T00:00:00Z',
      chargeDuration: '1',
    });
    expect(subscription.allowedCustomerOperations).toEqual(['Delete', 'Update', 'Read']);
    expect(subscription.lastModified).toBe('0001-01-01T00:00:00');
  });

  it('keeps unknown enumeration values raw: termUnit PAY, a new status, a new sandboxType', () => {
    const subscription = subscriptionSchema.parse({
      ...docSubscription,
      saasSubscriptionStatus: 'PendingDeletion',
      sandboxType: 'Partner',
      term: { ...docSubscription.term, termUnit: ' PAY ' },
    });

    expect(subscription.term?.termUnit).toBe('PAY');
    expect(subscription.saasSubscriptionStatus).toBe('PendingDeletion');
    expect(subscription.sandboxType).toBe('Partner');
  });

  it('stores a term unit it does not rate raw, without a rated term, and never a term whose end is not after its start', () => {
    const at = new Date('2026-04-02T10:00:00Z');
    const parsed = subscriptionSchema.parse({ ...docSubscription, term: { ...docSubscription.term, termUnit: 'PAY' } });
    const payg = subscriptionFromMarketplace(parsed, at);
    const warnings: unknown[] = [];
    const backwards = subscriptionSchema.parse({
      ...docSubscription,
      term: { termUnit: 'P1M', startDate: '2022-04-06T00:00:00Z', endDate: '2022-04-06T00:00:00Z' },
    });

    expect(payg.term).toBeUndefined();
    expect(payg.unratedTermUnit).toBe('PAY');
    expect(payg.status).toBe('Subscribed');
    expect(termFromMarketplace(backwards, { warn: (...args) => warnings.push(args) })).toBeUndefined();
    expect(subscriptionFromMarketplace(backwards, at).term).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(termFromMarketplace(subscriptionSchema.parse(docSubscription))).toMatchObject({ termUnit: 'P1M' });
  });

  it('stores the beneficiary’s and purchaser’s tenant and object ids in lower case, as sign-ins are compared', () => {
    const parsed = subscriptionSchema.parse({
      ...docSubscription,
      beneficiary: { emailId: 'Ann@A.example', objectId: 'A1B2C3D4-0000-4000-8000-00000000000A', tenantId: 'TENANT-A' },
      purchaser: { objectId: ' 0000-BUYER ', tenantId: '9188040D-6C67-4C5B-B112-36A304B66DAD' },
    });

    const stored = subscriptionFromMarketplace(parsed, new Date('2026-04-02T10:00:00Z'));

    expect(stored.beneficiary).toEqual({
      tenantId: 'tenant-a',
      objectId: 'a1b2c3d4-0000-4000-8000-00000000000a',
      emailId: 'Ann@A.example',
    });
    expect(stored.purchaser).toEqual({ tenantId: '9188040d-6c67-4c5b-b112-36a304b66dad', objectId: '0000-buyer' });
  });

  it('drops unknown fields instead of rejecting the payload', () => {
    const subscription = subscriptionSchema.parse(docSubscription);

    expect(subscription).not.toHaveProperty('someFieldMicrosoftAddsLater');
  });

  it.each([
    ['a number', 5, 5],
    ['a numeric string', '20', 20],
    ['a padded numeric string', ' 7 ', 7],
    ['an empty string', '', undefined],
    ['null', null, undefined],
    ['junk', 'many', undefined],
  ])('reads quantity given as %s', (_case, quantity, expected) => {
    expect(subscriptionSchema.parse({ ...docSubscription, quantity }).quantity).toBe(expected);
  });

  it('treats a missing quantity as a flat-rate plan and fills documented defaults', () => {
    const { quantity: _q, autoRenew: _a, isFreeTrial: _f, allowedCustomerOperations: _o, ...minimal } = docSubscription;

    const subscription = subscriptionSchema.parse(minimal);

    expect(subscription.quantity).toBeUndefined();
    expect(subscription.autoRenew).toBe(true);
    expect(subscription.isFreeTrial).toBe(false);
    expect(subscription.allowedCustomerOperations).toEqual([]);
  });

  it('matches known values case-insensitively and keeps values Microsoft adds later', () => {
    expect(
      subscriptionSchema.parse({ ...docSubscription, saasSubscriptionStatus: 'suspended' }).saasSubscriptionStatus,
    ).toBe('Suspended');
    expect(
      subscriptionSchema.parse({ ...docSubscription, saasSubscriptionStatus: ' Paused ' }).saasSubscriptionStatus,
    ).toBe('Paused');
  });

  it('refuses a subscription without the ids nothing can work without', () => {
    const { id: _id, ...withoutId } = docSubscription;

    expect(subscriptionSchema.safeParse(withoutId).success).toBe(false);
  });

  it('reads a Resolve answer with its quantity as a string and the nested subscription', () => {
    const resolved = resolvedSubscriptionSchema.parse({
      id: '<guid>',
      subscriptionName: 'Contoso Cloud Solution',
      offerId: 'offer1',
      planId: ' silver ',
      quantity: '20',
      subscription: docSubscription,
    });

    expect(resolved).toMatchObject({ id: '<guid>', planId: 'silver', quantity: 20 });
    expect(resolved.subscription?.saasSubscriptionStatus).toBe('Subscribed');
  });

  it('reads an empty List Subscriptions body as the last, empty page', () => {
    expect(subscriptionPageSchema.parse(jsonBody(''))).toEqual({ subscriptions: [] });
    expect(subscriptionPageSchema.parse({ subscriptions: null, '@nextLink': '' })).toEqual({ subscriptions: [] });
  });

  it('keeps @nextLink when there is another page', () => {
    const page = subscriptionPageSchema.parse({
      subscriptions: [docSubscription],
      '@nextLink':
        'https://marketplaceapi.microsoft.com/api/saas/subscriptions?continuationToken=abc&api-version=2018-08-31',
    });

    expect(page.subscriptions).toHaveLength(1);
    expect(page.nextLink).toContain('continuationToken=abc');
  });

  it('reads operations with padded statuses, a string quantity and an empty list as no operations', () => {
    const operation = operationSchema.parse({
      id: '<guid>',
      activityId: '<guid>',
      subscriptionId: '<guid>',
      offerId: 'offer1',
      publisherId: 'contoso',
      planId: 'silver',
      quantity: '20',
      action: ' ChangePlan ',
      timeStamp: '2022-03-07T00:00:00Z',
      status: ' InProgress ',
      operationRequestSource: 'Azure',
      purchaseToken: null,
    });

    expect(operation).toMatchObject({ action: 'ChangePlan', status: 'InProgress', quantity: 20 });
    expect(operationsSchema.parse(jsonBody('{}')).operations).toEqual([]);
    expect(operationsSchema.parse(undefined).operations).toEqual([]);
  });

  it('reads available plans in the payload shape the catalog mapper accepts', () => {
    const plans = availablePlansSchema.parse({
      plans: [
        {
          planId: 'gold',
          displayName: 'Gold',
          isPrivate: 'false',
          isPricePerSeat: false,
          planComponents: {
            recurrentBillingTerms: [
              {
                currency: 'USD',
                price: 100,
                termUnit: 'P1M',
                meteredQuantityIncluded: [{ dimensionId: 'calls', units: '1000' }],
              },
            ],
            meteringDimensions: [
              { id: 'calls', currency: 'USD', pricePerUnit: '0.01', unitOfMeasure: 'call', displayName: 'Calls' },
            ],
          },
          extra: 1,
        },
        { planId: 'silver' },
      ],
    }).plans;

    expect(plans[0]).toMatchObject({ planId: 'gold', isPrivate: false, hasFreeTrials: false, sourceOffers: [] });
    expect(plans[1]?.planComponents).toEqual({ recurrentBillingTerms: [], meteringDimensions: [] });
    const offer = mapAvailablePlansToOffer('offer1', { plans: plans.slice(0, 1) });
    expect(offer.plans[0]?.meteredDimensions).toEqual([{ dimensionId: 'calls', pricePerUnit: { USD: '0.01' } }]);
  });
});

describe('lenient parsing of Metering API answers', () => {
  it('reads per-event statuses, a Duplicate with its accepted event and the 0001-01-01 messageTime', () => {
    const batch = batchUsageEventResultSchema.parse({
      count: 3,
      result: [
        {
          usageEventId: 'e1',
          status: 'Accepted',
          messageTime: '2020-01-12T13:19:35.3458658Z',
          resourceId: 'r1',
          quantity: 5.0,
          dimension: 'dim1',
          effectiveStartTime: '2018-12-01T08:30:14',
          planId: 'plan1',
        },
        {
          status: ' Duplicate ',
          messageTime: '0001-01-01T00:00:00',
          error: {
            additionalInfo: {
              acceptedMessage: {
                usageEventId: 'e0',
                status: 'Duplicate',
                messageTime: '2020-01-12T13:19:35.3458658Z',
                resourceId: 'r1',
                quantity: '5',
                dimension: 'dim1',
                effectiveStartTime: '2018-12-01T08:00:00Z',
                planId: 'plan1',
              },
            },
            message: 'This usage event already exist.',
            code: 'Conflict',
          },
          resourceId: 'r1',
          quantity: 5,
          dimension: 'dim1',
          effectiveStartTime: '2018-12-01T08:00:00Z',
          planId: 'plan1',
        },
        {
          status: 'Error',
          error: {
            message: 'One or more errors have occurred.',
            code: 'BadArgument',
            details: [{ message: 'The resourceId is required.', target: 'ResourceId', code: 'BadArgument' }],
          },
        },
      ],
    });

    expect(batch.count).toBe(3);
    expect(batch.result.map((item) => item.status)).toEqual(['Accepted', 'Duplicate', 'Error']);
    const duplicate = batch.result[1];
    expect(duplicate?.messageTime).toBe('0001-01-01T00:00:00');
    expect(duplicate?.acceptedMessage).toMatchObject({ usageEventId: 'e0', quantity: 5, status: 'Duplicate' });
    expect(batch.result[2]?.error?.details).toEqual([
      { message: 'The resourceId is required.', target: 'ResourceId', code: 'BadArgument' },
    ]);
  });

  it('reports a status Microsoft adds later as Error, keeping what it sent', () => {
    const batch = batchUsageEventResultSchema.parse({ result: [{ status: 'Throttled' }, {}] });

    expect(batch.result[0]).toMatchObject({ status: 'Error', rawStatus: 'Throttled' });
    expect(batch.result[1]).toMatchObject({ status: 'Error', rawStatus: '' });
    expect(batch.count).toBe(2);
  });

  it('reads the 409 body of a single event, bare or wrapped in "error"', () => {
    const body = {
      additionalInfo: { acceptedMessage: { usageEventId: 'e0', status: 'Duplicate', quantity: 5 } },
      message: 'This usage event already exist.',
      code: 'Conflict',
    };

    expect(errorBodySchema.parse(body).acceptedMessage?.quantity).toBe(5);
    expect(errorBodySchema.parse({ error: body }).code).toBe('Conflict');
    expect(errorBodySchema.parse(jsonBody('not json'))).toEqual({ details: [] });
  });

  it('reads an accepted single event', () => {
    expect(acceptedUsageEventSchema.parse({ usageEventId: 'e1', status: 'Accepted', quantity: '2.5' })).toMatchObject({
      usageEventId: 'e1',
      status: 'Accepted',
      quantity: 2.5,
    });
  });

  it('reads usage retrieval rows and an empty body as no rows', () => {
    const rows = reportedUsageListSchema.parse([
      {
        usageDate: '2020-11-30T00:00:00',
        usageResourceId: 'r1',
        dimension: 'dim1',
        reconStatus: ' Accepted ',
        submittedQuantity: '17',
        processedQuantity: 17,
        submittedCount: 17,
      },
    ]);

    expect(rows[0]).toMatchObject({ reconStatus: 'Accepted', submittedQuantity: 17 });
    expect(reportedUsageListSchema.parse(jsonBody(''))).toEqual([]);
  });

  it('reads numbers only when they are numbers', () => {
    expect([lenientNumber(Number.NaN), lenientNumber('1e3'), lenientNumber(true)]).toEqual([
      undefined,
      1000,
      undefined,
    ]);
  });
});
