/**
 * The plan catalog: offers, their metered dimensions and their plans, modelled on what Partner Center lets a
 * publisher configure for a transactable SaaS offer (see ../shared/reference/marketplace-api.md §4.3).
 *
 * Amounts are decimal strings in the currency's major unit ("100.00" USD, "1200" JPY); they are turned into
 * exact decimals by `shared/domain/money.ts`, never into floating-point numbers.
 */

/** ISO 4217 code, e.g. `USD`, `JPY`. */
export type CurrencyCode = string;

/** Decimal string, e.g. "100.00". */
export type DecimalString = string;

/** Prices keyed by currency: `{ USD: "100.00", JPY: "15000" }`. */
export type PriceList = Readonly<Record<CurrencyCode, DecimalString>>;

/** Billing term lengths the marketplace offers for SaaS (ISO 8601 durations, as the Fulfillment API spells them). */
export const TERM_UNITS = ['P1M', 'P1Y', 'P2Y', 'P3Y'] as const;
export type TermUnit = (typeof TERM_UNITS)[number];

/** How the flat fee of a term is charged: every month of the term, or once for the whole term at its start. */
export type BillingFrequency = 'monthly' | 'upfront';

export type PricingModel = 'flatRate' | 'perUser';

/** Included quantity of a dimension per term: a non-negative decimal string, or unlimited (never reported). */
export type IncludedQuantity = DecimalString | 'unlimited';

/** The largest number of custom dimensions a SaaS offer may have (Microsoft: 30 per offer). */
export const MAX_DIMENSIONS_PER_OFFER = 30;

/** A custom metering dimension, shared by every plan of its offer (id is immutable once published). */
export interface MeteredDimension {
  readonly id: string;
  readonly displayName: string;
  readonly unitOfMeasure: string;
}

/** One purchasable billing term of a plan, with its flat price and the included quantities for that term. */
export interface BillingTerm {
  readonly termUnit: TermUnit;
  readonly billingFrequency: BillingFrequency;
  /**
   * Flat price for the whole term, per currency. For a per-user plan, the price of one user for the term.
   * When billed monthly the term price is spread evenly over the term's months.
   */
  readonly price: PriceList;
  /** Included quantity per dimension id for this term; a dimension absent here includes 0. */
  readonly includedQuantities: Readonly<Record<string, IncludedQuantity>>;
}

/** Price per unit of overage for one dimension on one plan. */
export interface DimensionPrice {
  readonly dimensionId: string;
  readonly pricePerUnit: PriceList;
}

/** Who may buy a private plan: Entra tenant ids of customers and/or SaaS subscription ids. */
export interface PlanAudience {
  readonly tenantIds: readonly string[];
  readonly subscriptionIds: readonly string[];
}

/**
 * Prices negotiated with one customer on a private plan. Anything not given falls back to the plan's own price.
 * Matched by subscription id first, then by tenant id.
 */
export interface CustomerPrice {
  readonly tenantId?: string;
  readonly subscriptionId?: string;
  /** Overrides of `BillingTerm.price`, matched by term unit and billing frequency. */
  readonly terms?: readonly { termUnit: TermUnit; billingFrequency: BillingFrequency; price: PriceList }[];
  /** Overrides of `DimensionPrice.pricePerUnit`, keyed by dimension id. */
  readonly dimensionPrices?: Readonly<Record<string, PriceList>>;
}

export interface Plan {
  /** Microsoft's plan id rules: at most 50 characters of lowercase letters, digits, `-` and `_`. */
  readonly id: string;
  readonly displayName: string;
  readonly description?: string;
  readonly visibility: 'public' | 'private';
  /** Present (and non-empty) only for private plans. */
  readonly audience?: PlanAudience;
  readonly customerPrices?: readonly CustomerPrice[];
  readonly pricingModel: PricingModel;
  /** Seat limits of a per-user plan. */
  readonly minQuantity?: number;
  readonly maxQuantity?: number;
  /** SaaS free trials last one month; not allowed on a plan with metered dimensions. */
  readonly freeTrial: boolean;
  /**
   * Partner Center's per-plan "auto-activation" (GA May 2026): a purchase is `Subscribed` and billed at once, the
   * publisher learns of it from a `Subscribe` webhook, and the landing page is optional. Absent means false (the
   * setting of plans published before it; Partner Center turns it on for new plans).
   */
  readonly autoActivation?: boolean;
  readonly billingTerms: readonly BillingTerm[];
  /** Metered dimensions enabled on this plan (flat-rate plans only), with their overage prices. */
  readonly meteredDimensions: readonly DimensionPrice[];
}

export interface Offer {
  readonly id: string;
  readonly displayName: string;
  readonly dimensions: readonly MeteredDimension[];
  readonly plans: readonly Plan[];
}

export interface Catalog {
  /** Share of the license price kept by the marketplace as its store service fee (Microsoft standard: "0.03"). */
  readonly storeFeeRate: DecimalString;
  readonly offers: readonly Offer[];
}
