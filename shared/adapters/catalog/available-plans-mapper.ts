/**
 * Imports an offer's plans from the Fulfillment API's List Available Plans response
 * (`GET /saas/subscriptions/{id}/listAvailablePlans`, reference/marketplace-api.md §1.2), the programmatic way to read
 * dimension prices and included quantities per plan.
 *
 * The payload is Microsoft's, so it is parsed leniently: unknown fields are ignored, numbers may arrive as strings,
 * `null` or missing arrays count as empty, and strings are trimmed (doc samples pad values with spaces). What the
 * payload does not say is filled by stated assumptions (see `AvailablePlansMappingOptions` and `mapAvailablePlansToOffer`).
 * Values that cannot mean anything (a price of `"abc"`, an unknown term unit) are not guessed: they are reported.
 */
import * as z from 'zod';
import {
  type BillingFrequency,
  type BillingTerm,
  type DimensionPrice,
  type IncludedQuantity,
  type MeteredDimension,
  type Offer,
  type Plan,
  TERM_UNITS,
  type TermUnit,
} from '#shared/domain/catalog.ts';
import { CatalogError, type CatalogIssue } from '#shared/domain/catalog-rules.ts';
import { describedIssues } from '#shared/zod-issues.ts';
import { toDecimalString } from './catalog-schema.ts';

const text = z.string().nullish();
const numberOrString = z.union([z.number(), z.string()]).nullish();
/** `true`, `"true"` and `"True"` are true; anything else (including absent) is false. */
const flag = z
  .union([z.boolean(), z.string()])
  .nullish()
  .transform((value) => value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true'));
/** An array, or nothing at all (`null` / absent) which counts as empty. */
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((items) => items ?? []);

const availablePlanSchema = z.object({
  planId: z.string(),
  displayName: text,
  isPrivate: flag,
  description: text,
  minQuantity: numberOrString,
  maxQuantity: numberOrString,
  hasFreeTrials: flag,
  isPricePerSeat: flag,
  isStopSell: flag,
  market: text,
  planComponents: z
    .object({
      recurrentBillingTerms: list(
        z.object({
          currency: text,
          price: numberOrString,
          termUnit: text,
          termDescription: text,
          meteredQuantityIncluded: list(z.object({ dimensionId: text, units: numberOrString })),
        }),
      ),
      meteringDimensions: list(
        z.object({
          id: text,
          currency: text,
          pricePerUnit: numberOrString,
          unitOfMeasure: text,
          displayName: text,
        }),
      ),
    })
    .nullish(),
});

/**
 * The List Available Plans response, leniently. Microsoft documents an empty body for an unknown subscription, so an
 * empty string, `null` or `{}` all mean "no plans".
 */
export const availablePlansResponseSchema = z.preprocess(
  (body) => (body === undefined || body === null || body === '' ? {} : body),
  z.object({ plans: list(availablePlanSchema) }),
);

/** One plan of the List Available Plans response, after lenient parsing. */
export type AvailablePlan = z.infer<typeof availablePlanSchema>;

/** What the payload does not carry, supplied by the caller. */
export interface AvailablePlansMappingOptions {
  /** The payload has no offer name; defaults to the offer id. */
  readonly offerDisplayName?: string;
  /**
   * Billing frequency given to 1-, 2- and 3-year terms (`P1Y`, `P2Y`, `P3Y`). The payload only has the term's price,
   * not whether it is paid monthly or up front; the subscription's `term.chargeDuration` or Partner Center tells.
   * Defaults to `'upfront'`. `P1M` terms are always `'monthly'` (a one-month term paid monthly and up front is the same).
   */
  readonly longTermBillingFrequency?: BillingFrequency;
  /**
   * The audience to give private plans. The payload lists the private plans the subscription's customer may buy but
   * not who else may: pass the tenant id and/or subscription id the call was made for. Without it a private plan has
   * no audience, which `validateCatalog` reports.
   */
  readonly audience?: { readonly tenantId?: string; readonly subscriptionId?: string };
}

/** Microsoft reports an unlimited included quantity as `Unlimited` (some tools write -1); it is never metered. */
const UNLIMITED_SPELLINGS = new Set(['unlimited', '-1', '∞']);
/** Seat ceiling reported by the live API when a per-seat plan has no explicit maximum (observed, §1.2). */
const DEFAULT_MAX_SEATS = 1_000_000;
const SIGNED_DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * Builds an `Offer` from a List Available Plans response.
 *
 * - One `recurrentBillingTerms` entry exists per currency and term unit: entries of the same term unit are merged
 *   into one `BillingTerm` whose price list has every currency; included quantities are merged the same way.
 * - `meteringDimensions` entries (one per dimension and currency) are merged per dimension into the plan's
 *   `meteredDimensions`; the offer's `dimensions` collect every dimension seen on any plan, named after its first entry.
 * - `isPricePerSeat` → `perUser` (seat limits default to 1 … 1,000,000 when absent), otherwise `flatRate`;
 *   `hasFreeTrials` → `freeTrial`; `isPrivate` → `private` with the audience from the options.
 * - Stop-sold plans (`isStopSell`) are kept: existing subscribers may still be on them and must be rated.
 * - Ids are kept as Microsoft sends them (only trimmed), since metering must send them back exactly.
 * - `market` is ignored: the response is already limited to the subscription's geography, hence its currencies.
 * - Auto-activation is a Partner Center setting that the payload does not carry: imported plans leave
 *   `autoActivation` out (false); set it in the catalog file for plans that have it on.
 *
 * The result is not validated: run `validateCatalog` on the catalog it goes into (e.g. after merging audiences).
 * @throws {CatalogError} listing every value that cannot be mapped (malformed payload, missing or non-numeric price,
 *   unknown term unit, conflicting entries).
 */
export function mapAvailablePlansToOffer(
  offerId: string,
  payload: unknown,
  options: AvailablePlansMappingOptions = {},
): Offer {
  const source = `the List Available Plans payload of offer "${offerId}"`;
  const parsed = availablePlansResponseSchema.safeParse(payload);
  if (!parsed.success) {
    throw new CatalogError(
      describedIssues(parsed.error).map((issue) => ({ offerId, ...issue })),
      source,
    );
  }
  const issues: CatalogIssue[] = [];
  const dimensions = new Map<string, MeteredDimension>();
  const plans = parsed.data.plans.map((available) => {
    const planId = available.planId.trim();
    const report = (field: string, message: string) => issues.push({ offerId, planId, field, message });
    return mapPlan(planId, available, options, dimensions, report);
  });
  if (issues.length > 0) {
    throw new CatalogError(issues, source);
  }
  return { id: offerId, displayName: options.offerDisplayName ?? offerId, dimensions: [...dimensions.values()], plans };
}

type Report = (field: string, message: string) => void;

function mapPlan(
  planId: string,
  available: AvailablePlan,
  options: AvailablePlansMappingOptions,
  offerDimensions: Map<string, MeteredDimension>,
  report: Report,
): Plan {
  const components = available.planComponents;
  const perUser = available.isPricePerSeat;
  const description = available.description?.trim();
  const audience = available.isPrivate ? audienceFrom(options) : undefined;
  return {
    id: planId,
    displayName: available.displayName?.trim() || planId,
    ...(description ? { description } : {}),
    visibility: available.isPrivate ? 'private' : 'public',
    ...(audience === undefined ? {} : { audience }),
    pricingModel: perUser ? 'perUser' : 'flatRate',
    // The payload carries 0 or nothing for flat-rate plans; seat limits only mean something per user.
    ...(perUser
      ? {
          minQuantity: seatCount(available.minQuantity, 'minQuantity', report) ?? 1,
          maxQuantity: seatCount(available.maxQuantity, 'maxQuantity', report) ?? DEFAULT_MAX_SEATS,
        }
      : {}),
    freeTrial: available.hasFreeTrials,
    billingTerms: mapBillingTerms(components?.recurrentBillingTerms ?? [], options, report),
    meteredDimensions: mapMeteringDimensions(components?.meteringDimensions ?? [], offerDimensions, report),
  };
}

function audienceFrom(options: AvailablePlansMappingOptions): Plan['audience'] {
  const tenantId = options.audience?.tenantId;
  const subscriptionId = options.audience?.subscriptionId;
  if (tenantId === undefined && subscriptionId === undefined) {
    return undefined;
  }
  return {
    tenantIds: tenantId === undefined ? [] : [tenantId],
    subscriptionIds: subscriptionId === undefined ? [] : [subscriptionId],
  };
}

type RecurrentBillingTerm = NonNullable<AvailablePlan['planComponents']>['recurrentBillingTerms'][number];
type MeteringDimension = NonNullable<AvailablePlan['planComponents']>['meteringDimensions'][number];

function mapBillingTerms(
  entries: readonly RecurrentBillingTerm[],
  options: AvailablePlansMappingOptions,
  report: Report,
): BillingTerm[] {
  const terms = new Map<
    TermUnit,
    { price: Record<string, string>; includedQuantities: Record<string, IncludedQuantity> }
  >();
  for (const [index, entry] of entries.entries()) {
    const field = `planComponents.recurrentBillingTerms[${index}]`;
    const termUnit = entry.termUnit?.trim().toUpperCase() ?? '';
    if (!isTermUnit(termUnit)) {
      report(
        `${field}.termUnit`,
        `"${entry.termUnit ?? ''}" is not a term this catalog supports (${TERM_UNITS.join(', ')})`,
      );
      continue;
    }
    const term = terms.get(termUnit) ?? { price: {}, includedQuantities: {} };
    terms.set(termUnit, term);
    const currency = entry.currency?.trim().toUpperCase();
    const price = decimalOf(entry.price);
    if (!currency) {
      report(`${field}.currency`, 'is missing');
    } else if (price === undefined) {
      report(`${field}.price`, `${JSON.stringify(entry.price ?? null)} is not a price`);
    } else {
      mergeInto(term.price, currency, price, `${field}.price`, report);
    }
    for (const [quantityIndex, included] of entry.meteredQuantityIncluded.entries()) {
      const quantityField = `${field}.meteredQuantityIncluded[${quantityIndex}]`;
      const dimensionId = included.dimensionId?.trim();
      const quantity = includedQuantityOf(included.units);
      if (!dimensionId) {
        report(`${quantityField}.dimensionId`, 'is missing');
      } else if (quantity === undefined) {
        report(
          `${quantityField}.units`,
          `${JSON.stringify(included.units ?? null)} is neither a non-negative number nor "Unlimited"`,
        );
      } else {
        mergeInto(term.includedQuantities, dimensionId, quantity, `${quantityField}.units`, report);
      }
    }
  }
  return [...terms].map(([termUnit, term]) => ({
    termUnit,
    // Assumption: the payload has no billing frequency. A one-month term is billed monthly; longer terms use the
    // caller's choice (the subscription's term.chargeDuration says which one a customer bought).
    billingFrequency: termUnit === 'P1M' ? 'monthly' : (options.longTermBillingFrequency ?? 'upfront'),
    price: term.price,
    includedQuantities: term.includedQuantities,
  }));
}

function mapMeteringDimensions(
  entries: readonly MeteringDimension[],
  offerDimensions: Map<string, MeteredDimension>,
  report: Report,
): DimensionPrice[] {
  const prices = new Map<string, Record<string, string>>();
  for (const [index, entry] of entries.entries()) {
    const field = `planComponents.meteringDimensions[${index}]`;
    const id = entry.id?.trim();
    if (!id) {
      report(`${field}.id`, 'is missing');
      continue;
    }
    if (!offerDimensions.has(id)) {
      offerDimensions.set(id, {
        id,
        displayName: entry.displayName?.trim() || id,
        unitOfMeasure: entry.unitOfMeasure?.trim() || 'unit',
      });
    }
    const pricePerUnit = prices.get(id) ?? {};
    prices.set(id, pricePerUnit);
    const currency = entry.currency?.trim().toUpperCase();
    const price = decimalOf(entry.pricePerUnit);
    if (!currency) {
      report(`${field}.currency`, 'is missing');
    } else if (price === undefined) {
      report(`${field}.pricePerUnit`, `${JSON.stringify(entry.pricePerUnit ?? null)} is not a price`);
    } else {
      mergeInto(pricePerUnit, currency, price, `${field}.pricePerUnit`, report);
    }
  }
  return [...prices].map(([dimensionId, pricePerUnit]) => ({ dimensionId, pricePerUnit }));
}

/** Sets `target[key]`, reporting two entries that disagree instead of letting the later one win silently. */
function mergeInto<T extends string>(
  target: Record<string, T>,
  key: string,
  value: T,
  field: string,
  report: Report,
): void {
  const existing = target[key];
  if (existing !== undefined && existing !== value) {
    report(field, `"${value}" conflicts with "${existing}" given earlier for ${key}`);
    return;
  }
  target[key] = value;
}

function decimalOf(value: number | string | null | undefined): string | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? toDecimalString(value) : undefined;
  }
  const trimmed = value?.trim();
  return trimmed !== undefined && SIGNED_DECIMAL.test(trimmed) ? trimmed : undefined;
}

function includedQuantityOf(units: number | string | null | undefined): IncludedQuantity | undefined {
  if (units === undefined || units === null) {
    return undefined;
  }
  if (UNLIMITED_SPELLINGS.has(String(units).trim().toLowerCase())) {
    return 'unlimited';
  }
  const quantity = decimalOf(units);
  return quantity === undefined || quantity.startsWith('-') ? undefined : quantity;
}

function seatCount(value: number | string | null | undefined, field: string, report: Report): number | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0) {
    report(field, `${JSON.stringify(value)} is not a number of seats`);
    return undefined;
  }
  // 0 is what the API sends when no limit is set.
  return count === 0 ? undefined : count;
}

function isTermUnit(value: string): value is TermUnit {
  return (TERM_UNITS as readonly string[]).includes(value);
}
