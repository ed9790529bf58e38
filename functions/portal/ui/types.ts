/**
 * The `/v1` answers the pages read, as the portal contract (and `functions/api`) shapes them. Decimals are strings,
 * instants ISO-8601 UTC. Only the fields the pages use are listed; the API may send more.
 */

export interface MoneyJson {
  readonly amount: string;
  readonly currency: string;
}

export interface Me {
  readonly role: 'publisher' | 'partner' | 'customer';
  readonly partnerId?: string;
  readonly tenantId?: string;
  readonly user?: { readonly name?: string; readonly email?: string; readonly tenantId?: string };
}

export interface SubscriptionSummary {
  readonly id: string;
  readonly name: string;
  readonly offerId: string;
  readonly planId: string;
  readonly status: string;
  readonly beneficiaryTenantId?: string;
  readonly purchaserTenantId?: string;
  readonly partnerId?: string;
  readonly quantity?: number;
}

export interface DimensionUsage {
  readonly dimensionId: string;
  readonly displayName: string;
  readonly unitOfMeasure: string;
  readonly quantity: string;
  readonly overageQuantity: string;
  readonly amount: MoneyJson;
}

export interface MonthUsage {
  readonly month: string;
  readonly complete: boolean;
  readonly total: MoneyJson;
  readonly flatFees: MoneyJson;
  readonly usageCharges: MoneyJson;
  readonly dimensions: readonly DimensionUsage[];
}

/** `GET /v1/subscriptions/{id}/usage`. */
export interface Usage {
  readonly subscriptionId: string;
  readonly currency: string;
  /** The currencies the usage can be shown and budgeted in. */
  readonly currencies: readonly string[];
  readonly timeZone: string;
  readonly asOf: string;
  readonly monthToDate: MoneyJson;
  readonly forecast?: MoneyJson;
  readonly months: readonly MonthUsage[];
}

export type Granularity = 'hour' | 'day' | 'month';

export interface SeriesPoint {
  readonly start: string;
  readonly quantity: string;
  readonly amount: string;
}

/** `GET /v1/subscriptions/{id}/usage/series?granularity=…`. */
export interface UsageSeries {
  readonly subscriptionId: string;
  readonly granularity: Granularity;
  readonly currency: string;
  readonly timeZone: string;
  readonly asOf: string;
  readonly from: string;
  readonly to: string;
  readonly dimensions: readonly {
    readonly dimensionId: string;
    readonly displayName: string;
    readonly unitOfMeasure: string;
    readonly points: readonly SeriesPoint[];
  }[];
  readonly flatFees: readonly { readonly start: string; readonly amount: string }[];
}

/** `GET /v1/subscriptions/{id}/allowance`. */
export interface Allowance {
  readonly subscriptionId: string;
  readonly asOf: string;
  /** The plan whose included quantities apply; null when it is not in the catalog. */
  readonly planId: string | null;
  /**
   * The current term, [start, end): `end` is the first instant of the next term. Terms start at 00:00 UTC (the
   * marketplace's term dates are UTC days). Null before the purchase is activated: no term has started.
   */
  readonly term: { readonly start: string; readonly end: string } | null;
  readonly dimensions: readonly {
    readonly dimensionId: string;
    readonly displayName: string;
    readonly unitOfMeasure: string;
    /** A decimal string, or `unlimited` (never charged, never metered). */
    readonly included: string;
    readonly used: string;
    /** A decimal string, or `unlimited`. */
    readonly remaining: string;
    readonly overage: string;
  }[];
}

/** `GET|PUT /v1/subscriptions/{id}/budget` (BudgetSettings). */
export interface Budget {
  readonly subscriptionId: string;
  readonly plannedMonthlyAmount: MoneyJson;
  readonly thresholds: readonly string[];
  readonly forecastAlert: boolean;
  readonly spikeMinimumAmount: MoneyJson;
  readonly timeZone: string;
  readonly locale: 'ja' | 'en';
  readonly contacts: { readonly emails: readonly string[]; readonly phones: readonly string[] };
  /** The delivery state of each contact, e-mails then phones (docs/alerts.md "Contacts"). */
  readonly contactStates: readonly ContactStateJson[];
}

/** One entry of `contactStates`. */
export interface ContactStateJson {
  readonly channel: 'email' | 'sms';
  readonly address: string;
  readonly status: 'pending' | 'active' | 'bounced' | 'complained' | 'optedOut' | 'unknown';
  readonly since: string | null;
  readonly mutedRules: readonly string[];
  readonly reconfirmingFrom?: 'bounced' | 'complained' | 'optedOut';
}

/** The body of `PUT /v1/subscriptions/{id}/budget` (`budgetSchema` in functions/api/schema.ts). */
export interface BudgetBody {
  plannedMonthlyAmount: MoneyJson;
  thresholds: string[];
  forecastAlert: boolean;
  spikeMinimumAmount?: MoneyJson;
  timeZone: string;
  locale: 'ja' | 'en';
  contacts: { emails: string[]; phones: string[] };
}

export interface AlertItem {
  readonly key: string;
  readonly rule: string;
  readonly threshold?: string;
  readonly periodKey: string;
  readonly severity: string;
  readonly subscriptionId: string;
  readonly state: string;
  readonly createdAt: string;
  readonly sentAt?: string;
  readonly subject: string;
  /** `customer:<id>` or `partner:<id>`. */
  readonly recipient?: string;
  readonly deliveries?: readonly AlertDeliveryJson[];
}

/** What the notifier did with an alert for one contact of its recipient (`deliveries` of `GET /v1/alerts`). */
export interface AlertDeliveryJson {
  readonly channel: 'email' | 'sms';
  readonly address: string;
  readonly state: 'sending' | 'sent' | 'held' | 'retry' | 'suppressed' | 'failed';
  readonly reason?: string;
  readonly at: string;
}

export interface Partner {
  readonly id: string;
  readonly name: string;
  /** Set by the publisher; without it the partner's months are the publisher's (see `PartnerCustomers.timeZone`). */
  readonly timeZone?: string;
  readonly contactStates?: readonly ContactStateJson[];
}

/** The answer of `POST …/contacts/{contact}/confirmation`: the contact's state and when the message went out. */
export type ContactConfirmationJson = ContactStateJson & { readonly confirmationSentAt: string };

export type CreditState = 'ok' | 'warning' | 'approvalRequired' | 'purchaseBlocked';

/**
 * An approval the partner granted and that has not expired (`pendingApprovals` of `GET /v1/partners/{id}/customers`):
 * plan changes to `planId` (null: any plan) and seat counts up to `maxQuantity` (null: any) go through until
 * `expiresAt`, despite the "approval required" credit level.
 */
export interface GrantedApproval {
  readonly id: string;
  readonly planId: string | null;
  readonly maxQuantity: number | null;
  readonly approvedAt: string;
  readonly expiresAt: string;
}

export interface PartnerCustomer {
  readonly subscriptionId: string;
  readonly name: string | null;
  readonly tenantId: string;
  readonly offerId: string | null;
  readonly planId: string | null;
  readonly status: string;
  /** null when the API could not rate the customer (its plan gone, or not priced in the levels' currency). */
  readonly creditState: CreditState | null;
  readonly creditLevels?: {
    readonly warning: MoneyJson;
    readonly approvalRequired: MoneyJson;
    readonly purchaseBlocked: MoneyJson;
  };
  readonly provisionalCredit?: MoneyJson;
  readonly monthToDate?: MoneyJson;
  /** The largest charge of the six closed months, with its month (`2026-11`). */
  readonly largestMonthlyCharge?: (MoneyJson & { readonly month?: string }) | null;
  readonly pendingApprovals?: readonly GrantedApproval[];
}

/** `GET /v1/partners/{id}/customers`. */
export interface PartnerCustomers {
  readonly partnerId: string;
  readonly asOf: string;
  /** The zone the partner's months are counted in (month to date, largest month); null before any customer is rated. */
  readonly timeZone?: string | null;
  readonly customers: readonly PartnerCustomer[];
}

export interface DayPack {
  readonly productKey: string;
  readonly days: number;
  readonly issuedAt: string;
  readonly redemption?: {
    readonly subscriptionId: string;
    readonly redeemedAt: string;
    readonly termAfter: { readonly end: string };
  };
}

/** `POST /v1/partners/{id}/approvals` answer (PurchaseApproval). */
export interface Approval {
  readonly id: string;
  readonly subscriptionId: string;
  readonly expiresAt: string;
}
