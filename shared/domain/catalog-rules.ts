/**
 * Rules of the plan catalog and lookups into it. Pure: no I/O, no clock; the file adapter
 * (`shared/adapters/catalog/catalog-file.ts`) and the marketplace importer call `validateCatalog` after parsing.
 *
 * Rule sources are Microsoft's SaaS pricing and metering docs as summarised in
 * `reference/marketplace-api.md` (§0 quick facts, §1.2 "List available plans", §4.3).
 *
 * Slightly over 400 lines: every validation rule of the catalog is stated here, beside the lookups that rely on it.
 */
import { Decimal } from 'decimal.js';
import {
  type BillingTerm,
  type Catalog,
  MAX_DIMENSIONS_PER_OFFER,
  type Offer,
  type Plan,
  type PriceList,
  TERM_UNITS,
} from './catalog.ts';
import { NotFoundError, ValidationError } from './errors.ts';

/** One broken rule, located by offer and plan id (when the problem is inside one) and the field within it. */
export interface CatalogIssue {
  readonly offerId?: string;
  readonly planId?: string;
  /** Path inside the offer or plan, e.g. `billingTerms[P1M/monthly].price.USD`, or `storeFeeRate` at the top. */
  readonly field: string;
  readonly message: string;
}

/** Microsoft: plan ids are at most 50 characters of lowercase letters, digits, `-` and `_` [S-PRICING] [S-PLANS]. */
export const PLAN_ID_PATTERN = /^[a-z0-9_-]{1,50}$/;

/** Microsoft: up to 100 plans per offer, of which up to 45 private [S-PRICING]. */
export const MAX_PLANS_PER_OFFER = 100;
export const MAX_PRIVATE_PLANS_PER_OFFER = 45;

/** Plain decimal notation, no exponent, no sign other than a leading minus (rejected later as negative). */
const DECIMAL_PATTERN = /^-?\d+(\.\d+)?$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** True when `value` is a decimal string such as `"0"`, `"12"` or `"0.0125"` (no sign, no exponent). */
export function isNonNegativeDecimal(value: string): boolean {
  return DECIMAL_PATTERN.test(value) && !value.startsWith('-');
}

/** `offer "a", plan "b", field "c": message`, the wording every catalog error uses. */
export function formatCatalogIssue(issue: CatalogIssue): string {
  const where = [
    issue.offerId === undefined ? undefined : `offer "${issue.offerId}"`,
    issue.planId === undefined ? undefined : `plan "${issue.planId}"`,
    `field "${issue.field}"`,
  ].filter((part) => part !== undefined);
  return `${where.join(', ')}: ${issue.message}`;
}

/**
 * The catalog (file, payload or object) breaks one or more rules. The message lists every problem on its own
 * line so an operator fixes the file in one pass; `issues` carries them for programs.
 */
export class CatalogError extends ValidationError {
  readonly issues: readonly CatalogIssue[];

  constructor(issues: readonly CatalogIssue[], source = 'the plan catalog', options?: { cause?: unknown }) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      `${capitalise(source)} has ${count}:\n${issues.map((issue) => `  - ${formatCatalogIssue(issue)}`).join('\n')}`,
      issues.length === 1 ? issues[0]?.field : undefined,
      options,
    );
    this.issues = issues;
  }
}

/**
 * Checks a catalog against Microsoft's rules for transactable SaaS offers and this project's own consistency rules.
 * Returns every problem found (empty when the catalog is valid); never throws.
 */
export function validateCatalog(catalog: Catalog): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  validateStoreFeeRate(catalog.storeFeeRate, issues);
  for (const offerId of duplicatesOf(catalog.offers.map((offer) => offer.id))) {
    issues.push({ offerId, field: 'id', message: 'offer id is used by more than one offer' });
  }
  for (const offer of catalog.offers) {
    validateOffer(offer, issues);
  }
  return issues;
}

/**
 * Throws when the catalog breaks any rule.
 * @throws {CatalogError} listing every problem.
 */
export function assertValidCatalog(catalog: Catalog, source?: string): Catalog {
  const issues = validateCatalog(catalog);
  if (issues.length > 0) {
    throw new CatalogError(issues, source);
  }
  return catalog;
}

/**
 * The offer with this id.
 * @throws {NotFoundError} naming the offers that do exist.
 */
export function findOffer(catalog: Catalog, offerId: string): Offer {
  const offer = catalog.offers.find((candidate) => candidate.id === offerId);
  if (offer === undefined) {
    throw new NotFoundError(
      `Offer "${offerId}" is not in the plan catalog (known offers: ${listIds(catalog.offers)}). ` +
        'Check the offer id, or add the offer to the catalog file.',
    );
  }
  return offer;
}

/** The plan of an offer, or undefined when the offer or the plan is not in the catalog: THE plan lookup. */
export function planIn(catalog: Catalog, offerId: string, planId: string): Plan | undefined {
  return catalog.offers.find((offer) => offer.id === offerId)?.plans.find((plan) => plan.id === planId);
}

/**
 * The plan with this id in that offer.
 * @throws {NotFoundError} when the offer or the plan is unknown, naming the plans that do exist.
 */
export function findPlan(catalog: Catalog, offerId: string, planId: string): Plan {
  const offer = findOffer(catalog, offerId);
  const plan = planIn(catalog, offerId, planId);
  if (plan === undefined) {
    throw new NotFoundError(
      `Plan "${planId}" is not in offer "${offerId}" of the plan catalog (known plans: ${listIds(offer.plans)}). ` +
        'Check the plan id (plan ids are lowercase), or add the plan to the catalog file.',
    );
  }
  return plan;
}

/** Who is asking: the customer's Entra tenant and/or the SaaS subscription. */
export interface PlanBuyer {
  readonly tenantId?: string;
  readonly subscriptionId?: string;
}

/**
 * Whether the buyer may purchase or switch to this plan: public plans are offered to everyone, private plans only to
 * the tenants and subscriptions of their audience (Microsoft: a private plan must list the customer's tenant).
 */
export function isPlanOfferedTo(plan: Plan, buyer: PlanBuyer): boolean {
  if (plan.visibility === 'public') {
    return true;
  }
  const audience = plan.audience;
  if (audience === undefined) {
    return false;
  }
  return (
    (buyer.tenantId !== undefined && audience.tenantIds.includes(buyer.tenantId)) ||
    (buyer.subscriptionId !== undefined && audience.subscriptionIds.includes(buyer.subscriptionId))
  );
}

/** Ids of the metered dimensions enabled on this plan, in catalog order. */
export function dimensionIdsOf(plan: Plan): string[] {
  return plan.meteredDimensions.map((dimension) => dimension.dimensionId);
}

/** `P1Y/monthly`: how issues name a billing term, since a plan may sell the same term unit paid two ways. */
export function billingTermLabel(term: Pick<BillingTerm, 'termUnit' | 'billingFrequency'>): string {
  return `${term.termUnit}/${term.billingFrequency}`;
}

function validateStoreFeeRate(rate: string, issues: CatalogIssue[]): void {
  // The fee is a share of the license price: 0 (no fee) is possible in principle, 1 would leave the publisher nothing.
  if (!isNonNegativeDecimal(rate) || !new Decimal(rate).lessThan(1)) {
    issues.push({
      field: 'storeFeeRate',
      message: `"${rate}" must be a decimal at least 0 and below 1 (Microsoft's standard store fee is "0.03")`,
    });
  }
}

function validateOffer(offer: Offer, issues: CatalogIssue[]): void {
  const offerId = offer.id;
  if (offerId.trim() === '') {
    issues.push({ offerId, field: 'id', message: 'offer id must not be empty' });
  }
  if (offer.dimensions.length > MAX_DIMENSIONS_PER_OFFER) {
    issues.push({
      offerId,
      field: 'dimensions',
      message: `has ${offer.dimensions.length} metered dimensions; Microsoft allows at most ${MAX_DIMENSIONS_PER_OFFER} per offer`,
    });
  }
  for (const [index, dimension] of offer.dimensions.entries()) {
    if (dimension.id.trim() === '') {
      issues.push({ offerId, field: `dimensions[${index}].id`, message: 'dimension id must not be empty' });
    }
  }
  for (const id of duplicatesOf(offer.dimensions.map((dimension) => dimension.id))) {
    issues.push({ offerId, field: `dimensions["${id}"]`, message: 'dimension id is defined more than once' });
  }
  if (offer.plans.length > MAX_PLANS_PER_OFFER) {
    issues.push({
      offerId,
      field: 'plans',
      message: `has ${offer.plans.length} plans; Microsoft allows at most ${MAX_PLANS_PER_OFFER} per offer`,
    });
  }
  const privatePlans = offer.plans.filter((plan) => plan.visibility === 'private').length;
  if (privatePlans > MAX_PRIVATE_PLANS_PER_OFFER) {
    issues.push({
      offerId,
      field: 'plans',
      message: `has ${privatePlans} private plans; Microsoft allows at most ${MAX_PRIVATE_PLANS_PER_OFFER} per offer`,
    });
  }
  for (const planId of duplicatesOf(offer.plans.map((plan) => plan.id))) {
    issues.push({ offerId, planId, field: 'id', message: 'plan id is used by more than one plan of this offer' });
  }
  const offerDimensionIds = new Set(offer.dimensions.map((dimension) => dimension.id));
  for (const plan of offer.plans) {
    validatePlan(plan, offerDimensionIds, (field, message) =>
      issues.push({ offerId, planId: plan.id, field, message }),
    );
  }
}

type Report = (field: string, message: string) => void;

function validatePlan(plan: Plan, offerDimensionIds: ReadonlySet<string>, report: Report): void {
  if (!PLAN_ID_PATTERN.test(plan.id)) {
    report('id', 'plan id must be 1 to 50 characters of lowercase letters, digits, "-" and "_" (Microsoft rule)');
  }
  validatePricingModel(plan, report);
  validateMeteredDimensions(plan, offerDimensionIds, report);
  validateBillingTerms(plan, offerDimensionIds, report);
  validateVisibility(plan, report);
}

function validatePricingModel(plan: Plan, report: Report): void {
  const { minQuantity, maxQuantity } = plan;
  if (plan.pricingModel === 'perUser') {
    if (minQuantity === undefined || !Number.isInteger(minQuantity) || minQuantity < 1) {
      report('minQuantity', 'a per-user plan needs a whole-number minimum of at least 1 user');
    }
    if (maxQuantity === undefined || !Number.isInteger(maxQuantity) || maxQuantity < 1) {
      report('maxQuantity', 'a per-user plan needs a whole-number maximum of at least 1 user');
    }
    if (minQuantity !== undefined && maxQuantity !== undefined && minQuantity > maxQuantity) {
      report('minQuantity', `minimum ${minQuantity} users exceeds the maximum ${maxQuantity}`);
    }
    return;
  }
  if (minQuantity !== undefined) {
    report('minQuantity', 'seat limits apply to per-user plans only; remove it from this flat-rate plan');
  }
  if (maxQuantity !== undefined) {
    report('maxQuantity', 'seat limits apply to per-user plans only; remove it from this flat-rate plan');
  }
}

function validateMeteredDimensions(plan: Plan, offerDimensionIds: ReadonlySet<string>, report: Report): void {
  if (plan.meteredDimensions.length === 0) {
    return;
  }
  // Microsoft: metered billing works only with flat-rate plans, and a metered plan cannot offer a free trial [S-SMB].
  if (plan.pricingModel !== 'flatRate') {
    report(
      'meteredDimensions',
      'metered dimensions are only allowed on flat-rate plans (this plan is per user); remove them or make the plan flat rate',
    );
  }
  if (plan.freeTrial) {
    report(
      'freeTrial',
      'a plan with metered dimensions cannot have a free trial (Microsoft rule); set freeTrial to false or remove the dimensions',
    );
  }
  for (const dimension of plan.meteredDimensions) {
    const field = `meteredDimensions["${dimension.dimensionId}"]`;
    if (!offerDimensionIds.has(dimension.dimensionId)) {
      report(field, `dimension "${dimension.dimensionId}" is not one of the offer's dimensions`);
    }
    validatePriceList(dimension.pricePerUnit, `${field}.pricePerUnit`, report);
  }
  for (const id of duplicatesOf(dimensionIdsOf(plan))) {
    report(`meteredDimensions["${id}"]`, 'dimension is enabled more than once on this plan');
  }
}

function validateBillingTerms(plan: Plan, offerDimensionIds: ReadonlySet<string>, report: Report): void {
  if (plan.billingTerms.length === 0) {
    report('billingTerms', 'a plan needs at least one billing term');
  }
  for (const [index, term] of plan.billingTerms.entries()) {
    const known = (TERM_UNITS as readonly string[]).includes(term.termUnit);
    const field = known ? `billingTerms[${billingTermLabel(term)}]` : `billingTerms[${index}]`;
    if (!known) {
      report(`${field}.termUnit`, `"${term.termUnit}" is not a SaaS term; use one of ${TERM_UNITS.join(', ')}`);
    }
    if (term.billingFrequency !== 'monthly' && term.billingFrequency !== 'upfront') {
      report(`${field}.billingFrequency`, `"${term.billingFrequency}" must be "monthly" or "upfront"`);
    }
    validatePriceList(term.price, `${field}.price`, report);
    for (const [dimensionId, quantity] of Object.entries(term.includedQuantities)) {
      const quantityField = `${field}.includedQuantities["${dimensionId}"]`;
      if (!offerDimensionIds.has(dimensionId)) {
        report(quantityField, `dimension "${dimensionId}" is not one of the offer's dimensions`);
      }
      if (quantity !== 'unlimited' && !isNonNegativeDecimal(quantity)) {
        report(quantityField, `"${quantity}" must be a non-negative number or "unlimited"`);
      }
    }
  }
  for (const label of duplicatesOf(plan.billingTerms.map(billingTermLabel))) {
    report(`billingTerms[${label}]`, 'the same term unit and billing frequency are listed more than once');
  }
}

function validateVisibility(plan: Plan, report: Report): void {
  if (plan.visibility === 'public') {
    if (plan.audience !== undefined) {
      report('audience', 'a public plan is offered to everyone; remove the audience or make the plan private');
    }
    if (plan.customerPrices !== undefined && plan.customerPrices.length > 0) {
      report('customerPrices', 'customer-specific prices need a private plan; remove them or make the plan private');
    }
    return;
  }
  const tenantIds = plan.audience?.tenantIds.filter((id) => id.trim() !== '') ?? [];
  const subscriptionIds = plan.audience?.subscriptionIds.filter((id) => id.trim() !== '') ?? [];
  if (tenantIds.length + subscriptionIds.length === 0) {
    report('audience', 'a private plan needs at least one tenant id or subscription id in its audience');
  }
  const termLabels = new Set(plan.billingTerms.map(billingTermLabel));
  const planDimensionIds = new Set(dimensionIdsOf(plan));
  const buyers: string[] = [];
  for (const [index, customerPrice] of (plan.customerPrices ?? []).entries()) {
    const { tenantId, subscriptionId } = customerPrice;
    const field = `customerPrices[${subscriptionId ?? tenantId ?? index}]`;
    if (tenantId === undefined && subscriptionId === undefined) {
      report(field, 'a customer price needs the tenantId or subscriptionId it applies to');
    }
    if (tenantId !== undefined && !tenantIds.includes(tenantId)) {
      report(`${field}.tenantId`, `tenant "${tenantId}" is not in the plan's audience`);
    }
    if (subscriptionId !== undefined && !subscriptionIds.includes(subscriptionId)) {
      report(`${field}.subscriptionId`, `subscription "${subscriptionId}" is not in the plan's audience`);
    }
    buyers.push(`${tenantId ?? ''}|${subscriptionId ?? ''}`);
    for (const term of customerPrice.terms ?? []) {
      const termField = `${field}.terms[${billingTermLabel(term)}]`;
      if (!termLabels.has(billingTermLabel(term))) {
        report(termField, `the plan has no ${billingTermLabel(term)} billing term to override`);
      }
      validatePriceList(term.price, `${termField}.price`, report);
    }
    for (const [dimensionId, price] of Object.entries(customerPrice.dimensionPrices ?? {})) {
      const dimensionField = `${field}.dimensionPrices["${dimensionId}"]`;
      if (!planDimensionIds.has(dimensionId)) {
        report(dimensionField, `dimension "${dimensionId}" is not enabled on this plan`);
      }
      validatePriceList(price, dimensionField, report);
    }
  }
  if (duplicatesOf(buyers).length > 0) {
    // Two entries for the same buyer would make the price that applies depend on file order.
    report('customerPrices', 'more than one customer price for the same tenant/subscription');
  }
}

function validatePriceList(prices: PriceList, field: string, report: Report): void {
  const entries = Object.entries(prices);
  if (entries.length === 0) {
    report(field, 'needs a price in at least one currency');
  }
  for (const [currency, amount] of entries) {
    if (!CURRENCY_PATTERN.test(currency)) {
      report(`${field}.${currency}`, `"${currency}" is not a currency code (3 uppercase letters, e.g. USD)`);
    }
    if (!DECIMAL_PATTERN.test(amount)) {
      report(`${field}.${currency}`, `"${amount}" is not a decimal amount such as "100.00"`);
    } else if (amount.startsWith('-')) {
      report(`${field}.${currency}`, `"${amount}" must not be negative`);
    }
  }
}

function duplicatesOf(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) {
      duplicates.add(value);
    }
    seen.add(value);
  }
  return [...duplicates];
}

function listIds(items: readonly { id: string }[]): string {
  return items.length === 0 ? 'none' : items.map((item) => `"${item.id}"`).join(', ');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
