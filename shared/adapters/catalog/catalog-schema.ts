/**
 * The plan catalog's shape and its checks, without any file format: what a function needs to take the catalog the
 * CDK app compiled into its bundle as JSON (`configured-catalog.ts`). Reading YAML lives in `catalog-file.ts`, so the
 * YAML parser (about 117 KB minified) stays out of the function bundles.
 */
import { Decimal } from 'decimal.js';
import * as z from 'zod';
import { type Catalog, type IncludedQuantity, TERM_UNITS } from '#shared/domain/catalog.ts';
import { CatalogError, type CatalogIssue, validateCatalog } from '#shared/domain/catalog-rules.ts';

/**
 * Turns a number or string amount into the decimal string the domain works with, without going through
 * binary floating point more than the input already did: numbers use their shortest round-trip form
 * (`0.1` → `"0.1"`, never `"0.1000000000000000055…"`), with exponents spelled out (`1e21` → `"1000…0"`).
 * Strings are only trimmed: whether they are valid decimals is `validateCatalog`'s job, so the error says which field.
 */
export function toDecimalString(value: number | string): string {
  if (typeof value === 'string') {
    return value.trim();
  }
  return new Decimal(String(value)).toFixed();
}

const amountSchema = z.union([z.number(), z.string()], { error: 'must be an amount, e.g. 100.00 or "100.00"' });
const decimalSchema = amountSchema.transform(toDecimalString);
const priceListSchema = z.record(z.string(), decimalSchema);
const includedQuantitySchema = z
  .union([z.number(), z.string()], { error: 'must be a non-negative number or "unlimited"' })
  .transform((value): IncludedQuantity => (value === 'unlimited' ? 'unlimited' : toDecimalString(value)));
const termUnitSchema = z.enum(TERM_UNITS);
const billingFrequencySchema = z.enum(['monthly', 'upfront']);

const billingTermSchema = z.strictObject({
  termUnit: termUnitSchema,
  billingFrequency: billingFrequencySchema,
  price: priceListSchema,
  includedQuantities: z.record(z.string(), includedQuantitySchema).default({}),
});

const customerPriceSchema = z.strictObject({
  tenantId: z.string().optional(),
  subscriptionId: z.string().optional(),
  terms: z
    .array(
      z.strictObject({ termUnit: termUnitSchema, billingFrequency: billingFrequencySchema, price: priceListSchema }),
    )
    .optional(),
  dimensionPrices: z.record(z.string(), priceListSchema).optional(),
});

const planSchema = z.strictObject({
  id: z.string(),
  displayName: z.string(),
  description: z.string().optional(),
  visibility: z.enum(['public', 'private']).default('public'),
  audience: z
    .strictObject({
      tenantIds: z.array(z.string()).default([]),
      subscriptionIds: z.array(z.string()).default([]),
    })
    .optional(),
  customerPrices: z.array(customerPriceSchema).optional(),
  pricingModel: z.enum(['flatRate', 'perUser']),
  minQuantity: z.number().int().optional(),
  maxQuantity: z.number().int().optional(),
  freeTrial: z.boolean().default(false),
  autoActivation: z.boolean().default(false),
  billingTerms: z.array(billingTermSchema),
  meteredDimensions: z.array(z.strictObject({ dimensionId: z.string(), pricePerUnit: priceListSchema })).default([]),
});

const offerSchema = z.strictObject({
  id: z.string(),
  displayName: z.string(),
  dimensions: z
    .array(z.strictObject({ id: z.string(), displayName: z.string(), unitOfMeasure: z.string() }))
    .default([]),
  plans: z.array(planSchema),
});

/**
 * Schema of the catalog file. Defaults keep the file short: `visibility: public`, `freeTrial: false`, `autoActivation: false`, no metered
 * dimensions, no included quantities, and Microsoft's standard 3% store fee.
 */
export const catalogFileSchema = z.strictObject({
  storeFeeRate: decimalSchema.default('0.03'),
  offers: z.array(offerSchema),
});

/** The catalog file as written (before defaults); useful to type fixtures. */
export type CatalogFile = z.input<typeof catalogFileSchema>;

/**
 * Checks parsed catalog data. Shape problems are reported first; the business rules run only on a catalog whose
 * shape is right, since they cannot reason about a half-parsed one.
 * @param source how error messages name the input, e.g. the file path.
 * @throws {CatalogError} listing every problem found.
 */
export function checkCatalogData(raw: unknown, source: string): Catalog {
  // reportInput lets the message tell a missing field from a wrong type.
  const parsed = catalogFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new CatalogError(
      parsed.error.issues.flatMap((issue) => issuesFromZod(issue, raw)),
      source,
    );
  }
  const catalog: Catalog = parsed.data;
  const issues = validateCatalog(catalog);
  if (issues.length > 0) {
    throw new CatalogError(issues, source);
  }
  return catalog;
}

/**
 * Parses and checks a catalog written as JSON.
 * @throws {CatalogError} listing every problem found (syntax, shape, or business rules).
 */
export function parseCatalogJson(text: string, source: string): Catalog {
  return checkCatalogData(parseJson(text, source), source);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CatalogError([{ field: '(syntax)', message: (error as Error).message }], source, { cause: error });
  }
}

/**
 * Places a zod issue in the catalog: array indexes of offers and plans become their ids (when the raw input has
 * them), so the message reads `offer "x", plan "y", field "billingTerms[P1M/monthly].price"` rather than a path of numbers.
 */
function issuesFromZod(issue: z.core.$ZodIssue, raw: unknown): CatalogIssue[] {
  const path = [...issue.path];
  let offerId: string | undefined;
  let planId: string | undefined;
  let node: unknown = raw;
  const segments: string[] = [];
  for (let index = 0; index < path.length; index += 1) {
    const key = path[index];
    const parentKey = path[index - 1];
    node =
      isRecord(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
    if (typeof key !== 'number') {
      segments.push(String(key));
      continue;
    }
    const id = isRecord(node) && typeof node.id === 'string' && node.id !== '' ? node.id : undefined;
    if (parentKey === 'offers' && segments.length === 1 && id !== undefined) {
      offerId = id;
      segments.length = 0;
    } else if (parentKey === 'plans' && offerId !== undefined && segments.length === 1 && id !== undefined) {
      planId = id;
      segments.length = 0;
    } else {
      const last = segments.pop() ?? '';
      segments.push(`${last}[${labelOf(parentKey, node) ?? key}]`);
    }
  }
  const located = {
    ...(offerId === undefined ? {} : { offerId }),
    ...(planId === undefined ? {} : { planId }),
  };
  if (issue.code === 'unrecognized_keys') {
    // One issue per key, named as the field itself, so the message points at the line to fix.
    return issue.keys.map((key) => ({
      ...located,
      field: [...segments, key].join('.'),
      message: 'unknown field (check the spelling: the catalog format accepts no other keys)',
    }));
  }
  const field = segments.length > 0 ? segments.join('.') : planId ? '(plan)' : offerId ? '(offer)' : '(root)';
  return [{ ...located, field, message: messageOf(issue) }];

  function labelOf(collection: PropertyKey | undefined, element: unknown): string | undefined {
    if (!isRecord(element)) {
      return undefined;
    }
    if (collection === 'billingTerms' || collection === 'terms') {
      const { termUnit, billingFrequency } = element;
      return typeof termUnit === 'string' && typeof billingFrequency === 'string'
        ? `${termUnit}/${billingFrequency}`
        : undefined;
    }
    const name = element.id ?? element.dimensionId ?? element.subscriptionId ?? element.tenantId;
    return typeof name === 'string' && name !== '' ? `"${name}"` : undefined;
  }
}

function messageOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `is required (${issue.expected})` : `must be a ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return issue.message;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
