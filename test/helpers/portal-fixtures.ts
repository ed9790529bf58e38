/**
 * `/v1` answers for the portal's browser tests and screenshots, shaped as the portal contract
 * (/work/tools/portal-contract.md, issue 13) and `functions/api` answer them. Deterministic: a Tokyo customer on
 * 7 December 2026, three metered dimensions (one with an included quantity, one with decimals and none included, one
 * unlimited as the shipped catalog's `reports`), alerts inside and outside each graph's range, a partner with a
 * customer in each credit state; and a second subscription of the customer, bought but not activated yet.
 */

export const FIXTURE_NOW = '2026-12-07T03:00:00Z';
export const SUBSCRIPTION_ID = 'sub-7f3a';
export const PARTNER_ID = 'partner-tokyo';
export const TIME_ZONE = 'Asia/Tokyo';
const CURRENCY = 'JPY';
const HOUR = 3_600_000;
/** Tokyo is UTC+9 all year (no daylight saving). */
const TOKYO_OFFSET = 9 * HOUR;

const DIMENSIONS = [
  { dimensionId: 'api-calls', displayName: 'API calls', unitOfMeasure: 'calls' },
  { dimensionId: 'storage-gb', displayName: 'Storage', unitOfMeasure: 'GB' },
  { dimensionId: 'reports', displayName: 'Scheduled reports', unitOfMeasure: 'reports' },
] as const;

type DimensionId = (typeof DIMENSIONS)[number]['dimensionId'];

/**
 * A point's figures from its index: whole calls at ¥3, half gigabytes at ¥10 per GB, reports free (unlimited, as the
 * catalog's); exact decimal strings.
 */
function figures(dimensionId: DimensionId, index: number, scale: number) {
  if (dimensionId === 'reports') return { quantity: String((index % 3) * scale), amount: '0' };
  if (dimensionId === 'api-calls') {
    const quantity = ((index * 37) % 50) * scale;
    return { quantity: String(quantity), amount: String(quantity * 3) };
  }
  const halves = ((index * 5) % 9) * scale + 1;
  return { quantity: (halves / 2).toString(), amount: String(halves * 5) };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Period starts of each graph's default range (portal contract "usage/series"). */
function starts(granularity: 'hour' | 'day' | 'month'): number[] {
  const now = Date.parse(FIXTURE_NOW);
  if (granularity === 'hour') {
    const current = Math.floor(now / HOUR) * HOUR;
    return Array.from({ length: 48 }, (_, index) => current - (47 - index) * HOUR);
  }
  if (granularity === 'day') {
    // From the first day of the previous month in Tokyo (1 November) to today (7 December): 37 days.
    const first = Date.UTC(2026, 10, 1) - TOKYO_OFFSET;
    return Array.from({ length: 37 }, (_, index) => first + index * 24 * HOUR);
  }
  // The last 12 calendar months in Tokyo, January to December 2026.
  return Array.from({ length: 12 }, (_, index) => Date.UTC(2026, index, 1) - TOKYO_OFFSET);
}

const SCALE = { hour: 1, day: 20, month: 400 } as const;

export function usageSeries(granularity: 'hour' | 'day' | 'month', timeZone = TIME_ZONE) {
  const periodStarts = starts(granularity);
  return {
    subscriptionId: SUBSCRIPTION_ID,
    granularity,
    currency: CURRENCY,
    timeZone,
    asOf: FIXTURE_NOW,
    from: iso(periodStarts[0] ?? 0),
    to: FIXTURE_NOW,
    dimensions: DIMENSIONS.map((dimension) => ({
      ...dimension,
      points: periodStarts.map((start, index) => ({
        start: iso(start),
        ...figures(dimension.dimensionId, index, SCALE[granularity]),
      })),
    })),
    flatFees: granularity === 'hour' ? [] : [{ start: iso(Date.UTC(2026, 11, 1) - TOKYO_OFFSET), amount: '5000' }],
  };
}

export const SERIES = { hour: usageSeries('hour'), day: usageSeries('day'), month: usageSeries('month') };

export const SUBSCRIPTION = {
  id: SUBSCRIPTION_ID,
  name: 'Contoso Analytics 東京',
  offerId: 'contoso-analytics',
  planId: 'team',
  status: 'Subscribed',
  quantity: 12,
  beneficiary: { tenantId: 'tenant-contoso', emailId: 'user@contoso.example' },
  purchaser: { tenantId: 'tenant-contoso', emailId: 'buyer@contoso.example' },
};

const money = (amount: string) => ({ amount, currency: CURRENCY });

export const USAGE = {
  subscriptionId: SUBSCRIPTION_ID,
  currency: CURRENCY,
  currencies: ['USD', CURRENCY],
  timeZone: TIME_ZONE,
  asOf: FIXTURE_NOW,
  monthToDate: money('27500'),
  forecast: money('61000'),
  months: [
    {
      month: '2026-11',
      complete: true,
      total: money('48200'),
      flatFees: money('5000'),
      usageCharges: money('43200'),
      dimensions: [
        {
          dimensionId: 'api-calls',
          displayName: 'API calls',
          unitOfMeasure: 'calls',
          quantity: '24400',
          overageQuantity: '14400',
          amount: money('43200'),
        },
      ],
    },
    {
      month: '2026-12',
      complete: false,
      total: money('27500'),
      flatFees: money('5000'),
      usageCharges: money('22500'),
      dimensions: [
        {
          dimensionId: 'api-calls',
          displayName: 'API calls',
          unitOfMeasure: 'calls',
          quantity: '6400',
          overageQuantity: '0',
          amount: money('0'),
        },
        {
          dimensionId: 'storage-gb',
          displayName: 'Storage',
          unitOfMeasure: 'GB',
          quantity: '2250.5',
          overageQuantity: '2250.5',
          amount: money('22500'),
        },
        {
          dimensionId: 'reports',
          displayName: 'Scheduled reports',
          unitOfMeasure: 'reports',
          quantity: '42',
          overageQuantity: '0',
          amount: money('0'),
        },
      ],
    },
  ],
};

export const BUDGET = {
  subscriptionId: SUBSCRIPTION_ID,
  customerId: 'tenant-contoso',
  plannedMonthlyAmount: money('50000'),
  // One threshold beyond the plan (75,000, above the 61,000 forecast): the glance's bar must reach it.
  thresholds: ['0.5', '0.8', '1', '1.5'],
  forecastAlert: true,
  spikeMinimumAmount: money('500'),
  timeZone: TIME_ZONE,
  locale: 'ja',
  contacts: { emails: ['billing@contoso.example'], phones: ['+819012345678'] },
  contactStates: [
    {
      channel: 'email',
      address: 'billing@contoso.example',
      status: 'active',
      since: '2026-11-15T01:00:00.000Z',
      mutedRules: ['spike'],
    },
    { channel: 'sms', address: '+819012345678', status: 'pending', since: '2026-11-15T01:00:00.000Z', mutedRules: [] },
  ],
};

export const ALLOWANCE = {
  subscriptionId: SUBSCRIPTION_ID,
  asOf: FIXTURE_NOW,
  planId: 'team',
  term: { start: '2026-11-14T00:00:00Z', end: '2026-12-14T00:00:00Z' },
  dimensions: [
    {
      dimensionId: 'api-calls',
      displayName: 'API calls',
      unitOfMeasure: 'calls',
      included: '10000',
      used: '6400',
      remaining: '3600',
      overage: '0',
    },
    {
      dimensionId: 'storage-gb',
      displayName: 'Storage',
      unitOfMeasure: 'GB',
      included: '0',
      used: '2250.5',
      remaining: '0',
      overage: '2250.5',
    },
    {
      dimensionId: 'reports',
      displayName: 'Scheduled reports',
      unitOfMeasure: 'reports',
      included: 'unlimited',
      used: '42',
      remaining: 'unlimited',
      overage: '0',
    },
  ],
};

function alert(rule: string, createdAt: string, extra: Record<string, unknown> = {}) {
  return {
    key: `${rule}#${createdAt}`,
    recipient: 'customer:tenant-contoso',
    rule,
    periodKey: createdAt.slice(0, 7),
    severity: 'warning',
    subscriptionId: SUBSCRIPTION_ID,
    customerId: 'tenant-contoso',
    state: 'sent',
    createdAt,
    sentAt: createdAt,
    locale: 'ja',
    subject: `[Contoso] ${rule} ${createdAt.slice(0, 10)}`,
    sms: '',
    facts: {},
    ...extra,
  };
}

/** Newest first. The first is inside every graph's range, the second in the daily and monthly ones only. */
export const ALERTS = {
  alerts: [
    alert('budgetThreshold', '2026-12-06T10:15:00Z', { threshold: '0.5' }),
    alert('spike', '2026-11-20T02:00:00Z', { severity: 'critical' }),
  ],
};

export const PARTNER = {
  id: PARTNER_ID,
  name: 'Tokyo Cloud Reseller',
  tenantId: 'tenant-reseller',
  locale: 'ja',
  timeZone: TIME_ZONE,
  contacts: {
    emails: ['ops@reseller.example', 'credit@reseller.example', 'old@reseller.example', 'spam@reseller.example'],
    phones: ['+819011112222'],
  },
  // One contact in each state, so the page shows them all and a resend button beside each that gets no alerts.
  contactStates: [
    {
      channel: 'email',
      address: 'ops@reseller.example',
      status: 'active',
      since: '2026-11-02T01:00:00.000Z',
      mutedRules: [],
    },
    {
      channel: 'email',
      address: 'credit@reseller.example',
      status: 'optedOut',
      since: '2026-11-20T01:00:00.000Z',
      mutedRules: [],
    },
    {
      channel: 'email',
      address: 'old@reseller.example',
      status: 'bounced',
      since: '2026-11-21T01:00:00.000Z',
      mutedRules: [],
    },
    {
      channel: 'email',
      address: 'spam@reseller.example',
      status: 'complained',
      since: '2026-11-22T01:00:00.000Z',
      mutedRules: [],
    },
    { channel: 'sms', address: '+819011112222', status: 'pending', since: '2026-12-07T01:00:00.000Z', mutedRules: [] },
  ],
};

/** What `POST …/contacts/+819011112222/confirmation` answers: the pending number's last message is too recent. */
export const RESEND_TOO_SOON_MESSAGE =
  'A confirmation message was sent to +819011112222 at 2026-12-07T01:00:00.000Z; one is sent at most once every 24 ' +
  'hours, so that nobody can flood an address through this API. Ask again from 2026-12-08T01:00:00.000Z, or ask the ' +
  'person to use the link of the message already sent (valid for 7 days).';

const levels = { warning: money('100000'), approvalRequired: money('150000'), purchaseBlocked: money('200000') };

export const PARTNER_CUSTOMERS = {
  partnerId: PARTNER_ID,
  asOf: FIXTURE_NOW,
  customers: [
    {
      subscriptionId: SUBSCRIPTION_ID,
      name: 'Contoso Analytics 東京',
      tenantId: 'tenant-contoso',
      offerId: 'contoso-analytics',
      planId: 'team',
      status: 'Subscribed',
      creditState: 'ok',
      creditLevels: levels,
      provisionalCredit: money('50000'),
      monthToDate: money('27500'),
      largestMonthlyCharge: money('48200'),
      pendingApprovals: [],
    },
    {
      subscriptionId: 'sub-fabrikam',
      name: 'Fabrikam',
      tenantId: 'tenant-fabrikam',
      offerId: 'contoso-analytics',
      planId: 'team',
      status: 'Subscribed',
      creditState: 'approvalRequired',
      creditLevels: levels,
      provisionalCredit: money('120000'),
      monthToDate: money('152000'),
      largestMonthlyCharge: money('160000'),
      pendingApprovals: [
        {
          id: 'approval-1',
          planId: 'enterprise',
          maxQuantity: 20,
          approvedAt: '2026-12-01T02:00:00Z',
          expiresAt: '2026-12-08T02:00:00Z',
        },
      ],
    },
    {
      subscriptionId: 'sub-northwind',
      name: 'Northwind',
      tenantId: 'tenant-northwind',
      offerId: 'contoso-analytics',
      planId: 'starter',
      status: 'Suspended',
      creditState: 'purchaseBlocked',
      creditLevels: levels,
      provisionalCredit: money('90000'),
      monthToDate: money('8000'),
      largestMonthlyCharge: money('210000'),
      pendingApprovals: [],
    },
    {
      subscriptionId: 'sub-adatum',
      name: 'Adatum',
      tenantId: 'tenant-adatum',
      offerId: 'contoso-analytics',
      planId: 'team',
      status: 'Subscribed',
      creditState: 'warning',
      creditLevels: levels,
      provisionalCredit: money('100000'),
      monthToDate: money('104500'),
      largestMonthlyCharge: money('98000'),
      pendingApprovals: [],
    },
  ],
};

export const PARTNER_ALERTS = {
  alerts: [
    {
      ...alert('chargesOverCreditLevel', '2026-12-05T01:00:00Z', { threshold: 'approvalRequired' }),
      recipient: `partner:${PARTNER_ID}`,
      subscriptionId: 'sub-fabrikam',
    },
  ],
};

export const DAY_PACKS = {
  dayPacks: [
    {
      codeHash: 'a'.repeat(64),
      productKey: 'contoso-analytics',
      days: 30,
      partnerId: PARTNER_ID,
      issuedAt: '2026-11-01T00:00:00Z',
      redemption: {
        subscriptionId: 'sub-adatum',
        redeemedAt: '2026-11-03T05:00:00Z',
        termAfter: {
          subscriptionId: 'sub-adatum',
          productKey: 'contoso-analytics',
          start: '2026-11-03T05:00:00Z',
          end: '2026-12-03T05:00:00Z',
          extensions: 1,
        },
      },
    },
    {
      codeHash: 'b'.repeat(64),
      productKey: 'contoso-analytics',
      days: 90,
      partnerId: PARTNER_ID,
      issuedAt: '2026-11-01T00:00:00Z',
    },
  ],
};

export const SUBSCRIPTION_LIST = {
  subscriptions: [
    {
      id: SUBSCRIPTION_ID,
      name: 'Contoso Analytics 東京',
      offerId: 'contoso-analytics',
      planId: 'team',
      status: 'Subscribed',
      beneficiaryTenantId: 'tenant-contoso',
      purchaserTenantId: 'tenant-contoso',
      quantity: 12,
    },
    {
      id: 'sub-contoso-dev',
      name: 'Contoso Dev',
      offerId: 'contoso-analytics',
      planId: 'starter',
      status: 'PendingFulfillmentStart',
      beneficiaryTenantId: 'tenant-contoso',
      purchaserTenantId: 'tenant-contoso',
    },
  ],
};

/** Everything the subscription page reads about one subscription; `budget` undefined answers 404 (none set yet). */
export interface SubscriptionFixtures {
  readonly subscription: { readonly id: string } & Record<string, unknown>;
  readonly usage: Record<string, unknown>;
  readonly budget: Record<string, unknown> | undefined;
  readonly allowance: Record<string, unknown>;
  readonly alerts: { readonly alerts: readonly unknown[] };
  readonly series: Readonly<Record<'hour' | 'day' | 'month', unknown>>;
}

export const SUBSCRIPTION_FIXTURES: SubscriptionFixtures = {
  subscription: SUBSCRIPTION,
  usage: USAGE,
  budget: BUDGET,
  allowance: ALLOWANCE,
  alerts: ALERTS,
  series: SERIES,
};

/**
 * The customer's second subscription, bought and not activated yet: the allowance API answers `term: null` and
 * nothing used (get-allowance.ts), no usage, no budget, no alerts.
 */
export const PENDING_SUBSCRIPTION_ID = 'sub-contoso-dev';

const emptySeries = (granularity: 'hour' | 'day' | 'month') => {
  const series = usageSeries(granularity);
  return {
    ...series,
    subscriptionId: PENDING_SUBSCRIPTION_ID,
    dimensions: series.dimensions.map((dimension) => ({ ...dimension, points: [] })),
    flatFees: [],
  };
};

export const PENDING_ALLOWANCE = {
  subscriptionId: PENDING_SUBSCRIPTION_ID,
  asOf: FIXTURE_NOW,
  planId: 'starter',
  term: null,
  dimensions: [
    { ...DIMENSIONS[0], included: '1000', used: '0', remaining: '1000', overage: '0' },
    { ...DIMENSIONS[1], included: '0', used: '0', remaining: '0', overage: '0' },
    { ...DIMENSIONS[2], included: 'unlimited', used: '0', remaining: 'unlimited', overage: '0' },
  ],
};

export const PENDING_SUBSCRIPTION_FIXTURES: SubscriptionFixtures = {
  subscription: {
    id: PENDING_SUBSCRIPTION_ID,
    name: 'Contoso Dev',
    offerId: 'contoso-analytics',
    planId: 'starter',
    status: 'PendingFulfillmentStart',
    quantity: 1,
    beneficiary: { tenantId: 'tenant-contoso', emailId: 'user@contoso.example' },
    purchaser: { tenantId: 'tenant-contoso', emailId: 'buyer@contoso.example' },
  },
  usage: {
    ...USAGE,
    subscriptionId: PENDING_SUBSCRIPTION_ID,
    monthToDate: money('0'),
    forecast: undefined,
    months: [],
  },
  budget: undefined,
  allowance: PENDING_ALLOWANCE,
  alerts: { alerts: [] },
  series: { hour: emptySeries('hour'), day: emptySeries('day'), month: emptySeries('month') },
};

/**
 * The partner's alert history with what the notifier did: the newest delivered to one contact and held for another
 * (not confirmed yet), the older one still being sent (no delivery yet).
 */
export const PARTNER_ALERTS_DELIVERED = {
  alerts: [
    {
      ...alert('purchaseChangeRejected', '2026-12-06T23:30:00Z', { threshold: 'approvalRequired' }),
      recipient: `partner:${PARTNER_ID}`,
      subscriptionId: 'sub-fabrikam',
      subject: '[Contoso] Fabrikam: plan change to enterprise refused',
      deliveries: [
        { channel: 'email', address: 'ops@reseller.example', state: 'sent', at: '2026-12-06T23:30:05Z' },
        {
          channel: 'sms',
          address: '+819011112222',
          state: 'held',
          reason: 'pending',
          at: '2026-12-06T23:30:05Z',
        },
      ],
    },
    {
      ...alert('monthStartBlocked', '2026-12-01T00:05:00Z', { severity: 'critical', state: 'pending' }),
      recipient: `partner:${PARTNER_ID}`,
      subscriptionId: 'sub-northwind',
      subject: '[Contoso] Northwind: purchases blocked this month',
      sentAt: undefined,
      deliveries: [],
    },
  ],
};

/** A partner the publisher gave no time zone: its months are then the publisher's, which only the customers' answer says. */
export const PARTNER_WITHOUT_ZONE = { ...PARTNER, timeZone: undefined };

/** The customers' answer as the API gives it: the zone month to date is counted in, each largest charge's month. */
export const PARTNER_CUSTOMERS_IN_ZONE = {
  ...PARTNER_CUSTOMERS,
  timeZone: TIME_ZONE,
  customers: PARTNER_CUSTOMERS.customers.map((customer, index) => ({
    ...customer,
    largestMonthlyCharge: {
      ...customer.largestMonthlyCharge,
      month: ['2026-11', '2026-10', '2026-06', '2026-11'][index],
    },
  })),
};

/**
 * `count` alerts about the fixture subscription, newest first, `spacingHours` apart from `newest`, for the paging
 * tests: a history longer than one page of the API.
 */
export function manyAlerts(
  count: number,
  options: { recipient: string; newest: string; spacingHours: number },
): ReturnType<typeof alert>[] {
  return Array.from({ length: count }, (_, index) => {
    const createdAt = iso(Date.parse(options.newest) - index * options.spacingHours * HOUR);
    return {
      ...alert(index % 2 === 0 ? 'budgetThreshold' : 'spike', createdAt, { threshold: '0.5' }),
      key: `alert-${index}`,
      recipient: options.recipient,
    };
  });
}

/**
 * One page of `alerts` as `GET /v1/alerts` answers it: `limit` from `cursor` (here the offset; the API's is opaque),
 * with `nextCursor` while more follow.
 */
export function alertPage(alerts: readonly unknown[], query: URLSearchParams) {
  const limit = Number(query.get('limit') ?? '50');
  const offset = Number(query.get('cursor') ?? '0');
  const next = offset + limit;
  return { alerts: alerts.slice(offset, next), ...(next < alerts.length ? { nextCursor: String(next) } : {}) };
}
