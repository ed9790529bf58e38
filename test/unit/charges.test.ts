import { describe, expect, it } from 'vitest';
import type { Plan } from '#shared/domain/catalog.ts';
import { type ChargeInput, forecastToPeriodEnd, invoicePreview, monthToDateCharges } from '#shared/domain/charges.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { Money } from '#shared/domain/money.ts';
import { effectiveTermPrice, effectiveUnitPrice } from '#shared/domain/plan-pricing.ts';
import { aDimensionPrice, aRatingPlan, aRatingTerm, inForce, usageAt, utc } from '#test/builders/rating.ts';

const customer = { subscriptionId: 'sub-1', tenantId: 'tenant-1' };

function chargeInput(overrides: Partial<ChargeInput> = {}): ChargeInput {
  return {
    customer,
    currency: 'USD',
    history: [inForce('2025-01-06T00:00', aRatingPlan())],
    usage: [],
    ...overrides,
  };
}

const amounts = (lines: readonly { amount: Money }[]) => lines.map((l) => l.amount.toString());

describe('monthToDateCharges', () => {
  it('charges the monthly flat fee on the anniversary and the overage above the included quantity', () => {
    // prepare: $100/month, 1000 e-mails included, $0.01 per e-mail above
    const input = chargeInput({ usage: [usageAt('emails', '2025-01-10T00:00', '1500')] });
    // act
    const charges = monthToDateCharges(input, { periodStart: utc('2025-01-01T00:00'), asOf: utc('2025-01-20T00:00') });
    // assess
    expect(charges.lines.map((l) => [l.kind, l.amount.toString()])).toEqual([
      ['flatFee', '100.00 USD'],
      ['overage', '5.00 USD'],
    ]);
    expect(charges.total.toString()).toBe('105.00 USD');
    expect(charges.split.storeFee.toString()).toBe('3.15 USD');
    expect(charges.split.publisherPayout.toString()).toBe('101.85 USD');
  });

  it('leaves out a flat fee that falls due after the as-of instant and usage from later hours', () => {
    const input = chargeInput({ usage: [usageAt('emails', '2025-02-06T00:00', '5000')] });
    const charges = monthToDateCharges(input, { periodStart: utc('2025-02-01T00:00'), asOf: utc('2025-02-06T00:00') });
    expect(charges.lines).toEqual([]);
    expect(charges.total.toString()).toBe('0.00 USD');
  });

  it('multiplies a per-user price by the seats', () => {
    const plan = aRatingPlan({
      pricingModel: 'perUser',
      meteredDimensions: [],
      billingTerms: [aRatingTerm({ price: { USD: '10.00' }, includedQuantities: {} })],
    });
    const input = chargeInput({ history: [inForce('2025-01-06T00:00', plan, { quantity: 5 })] });
    const charges = monthToDateCharges(input, { periodStart: utc('2025-01-01T00:00'), asOf: utc('2025-02-01T00:00') });
    expect(amounts(charges.lines)).toEqual(['50.00 USD']);
  });

  it('charges no flat fee during the one-month free trial, then the full price', () => {
    const plan = aRatingPlan({
      freeTrial: true,
      meteredDimensions: [],
      billingTerms: [aRatingTerm({ includedQuantities: {} })],
    });
    const input = chargeInput({ history: [inForce('2025-01-06T10:00', plan)] });
    const january = monthToDateCharges(input, { periodStart: utc('2025-01-01T00:00'), asOf: utc('2025-02-01T00:00') });
    const february = monthToDateCharges(input, { periodStart: utc('2025-02-01T00:00'), asOf: utc('2025-03-01T00:00') });
    expect(january.lines.map((l) => [l.kind === 'flatFee' && l.freeTrial, l.amount.toString()])).toEqual([
      [true, '0.00 USD'],
    ]);
    expect(amounts(february.lines)).toEqual(['100.00 USD']);
  });

  it('prices overage before and after a plan change at each plan own unit price', () => {
    const silver = aRatingPlan({ id: 'silver', meteredDimensions: [aDimensionPrice('emails', '0.02')] });
    const gold = aRatingPlan({ id: 'gold', meteredDimensions: [aDimensionPrice('emails', '0.01')] });
    const input = chargeInput({
      history: [inForce('2025-01-06T00:00', silver), inForce('2025-01-15T00:00', gold)],
      usage: [usageAt('emails', '2025-01-10T00:00', '1100'), usageAt('emails', '2025-01-16T00:00', '300')],
    });
    const charges = monthToDateCharges(input, { periodStart: utc('2025-01-06T00:00'), asOf: utc('2025-02-06T00:00') });
    expect(
      charges.lines
        .filter((l) => l.kind === 'overage')
        .map((l) => [l.planId, l.quantity.toString(), l.amount.toString()]),
    ).toEqual([
      ['silver', '100', '2.00 USD'],
      ['gold', '300', '3.00 USD'],
    ]);
  });

  it('rounds an overage line once, not every hour', () => {
    // prepare: 0.004 × $0.01 every hour would round to $0.00 each time; summed it is 24 × 0.004 = 0.096 → $0.10
    const plan = aRatingPlan({
      billingTerms: [aRatingTerm({ price: { USD: '0' }, includedQuantities: { emails: '0' } })],
    });
    const usage = Array.from({ length: 24 }, (_, h) =>
      usageAt('emails', `2025-01-06T${String(h).padStart(2, '0')}:00`, '0.4'),
    );
    const input = chargeInput({ history: [inForce('2025-01-06T00:00', plan)], usage });
    const charges = monthToDateCharges(input, { periodStart: utc('2025-01-06T00:00'), asOf: utc('2025-01-07T00:00') });
    expect(amounts(charges.lines)).toEqual(['0.00 USD', '0.10 USD']);
  });

  it('rejects an empty window', () => {
    expect(() =>
      monthToDateCharges(chargeInput(), { periodStart: utc('2025-01-02'), asOf: utc('2025-01-01') }),
    ).toThrow(ValidationError);
  });
});

describe('customer prices of private plans', () => {
  const privatePlan: Plan = aRatingPlan({
    visibility: 'private',
    customerPrices: [
      { tenantId: 'tenant-1', dimensionPrices: { emails: { USD: '0.008' } } },
      {
        subscriptionId: 'sub-1',
        terms: [{ termUnit: 'P1M', billingFrequency: 'monthly', price: { USD: '80.00' } }],
      },
    ],
  });

  it('prefers the price negotiated for the subscription over the one for its tenant', () => {
    const term = privatePlan.billingTerms[0] ?? aRatingTerm();
    expect(effectiveTermPrice(privatePlan, term, customer, 'USD').toString()).toBe('80.00 USD');
  });

  it('falls back to the plan price for what the matched customer price does not override', () => {
    expect(effectiveUnitPrice(privatePlan, 'emails', customer, 'USD').toString()).toBe('0.01 USD');
  });

  it('uses the tenant price when no subscription price matches', () => {
    const other = { subscriptionId: 'sub-2', tenantId: 'tenant-1' };
    expect(effectiveUnitPrice(privatePlan, 'emails', other, 'USD').toString()).toBe('0.008 USD');
    const term = privatePlan.billingTerms[0] ?? aRatingTerm();
    expect(effectiveTermPrice(privatePlan, term, other, 'USD').toString()).toBe('100.00 USD');
  });

  it('uses the plan price for a customer with no negotiated price', () => {
    const stranger = { subscriptionId: 'sub-9', tenantId: 'tenant-9' };
    expect(effectiveUnitPrice(privatePlan, 'emails', stranger, 'USD').toString()).toBe('0.01 USD');
  });

  it('fails clearly when the plan has no price in the currency', () => {
    expect(() => effectiveUnitPrice(privatePlan, 'emails', customer, 'EUR')).toThrow(ValidationError);
  });
});

describe('invoicePreview', () => {
  it('spreads a yearly price billed monthly over twelve lines that add up to the term price exactly', () => {
    // prepare
    const plan = aRatingPlan({
      meteredDimensions: [],
      billingTerms: [aRatingTerm({ termUnit: 'P1Y', price: { USD: '100.00' }, includedQuantities: {} })],
    });
    const input = chargeInput({ history: [inForce('2025-01-31T00:00', plan)] });
    // act
    const preview = invoicePreview(input, { from: utc('2025-01-31T00:00'), to: utc('2026-01-31T00:00') });
    // assess
    expect(preview.periods.map((p) => p.start.toISOString().slice(0, 10)).slice(0, 3)).toEqual([
      '2025-01-31',
      '2025-02-28',
      '2025-03-31',
    ]);
    expect(preview.periods.map((p) => p.subtotal.amount.toFixed(2))).toEqual([
      '8.33',
      '8.34',
      '8.33',
      '8.33',
      '8.34',
      '8.33',
      '8.33',
      '8.34',
      '8.33',
      '8.33',
      '8.34',
      '8.33',
    ]);
    expect(preview.total.toString()).toBe('100.00 USD');
  });

  it('bills an up-front term in full in its first period and only overage afterwards', () => {
    const plan = aRatingPlan({
      billingTerms: [
        aRatingTerm({
          termUnit: 'P1Y',
          billingFrequency: 'upfront',
          price: { USD: '1200.00' },
          includedQuantities: { emails: '0' },
        }),
      ],
    });
    const input = chargeInput({
      history: [inForce('2025-01-06T00:00', plan)],
      usage: [usageAt('emails', '2025-02-10T00:00', '250'), usageAt('emails', '2025-02-11T00:00', '250')],
    });
    const preview = invoicePreview(input, { from: utc('2025-01-06T00:00'), to: utc('2025-04-06T00:00') });
    expect(preview.periods.map((p) => p.lines.map((l) => `${l.kind}:${l.amount.toString()}`))).toEqual([
      ['flatFee:1200.00 USD'],
      ['overage:5.00 USD'],
      [],
    ]);
    expect(preview.split.storeFee.toString()).toBe('36.15 USD');
    expect(preview.split.publisherPayout.add(preview.split.storeFee).equals(preview.total)).toBe(true);
  });

  it('gives each dimension its own overage line with quantity times unit price', () => {
    const plan = aRatingPlan({
      meteredDimensions: [aDimensionPrice('emails', '0.01'), aDimensionPrice('sms', '0.05')],
      billingTerms: [aRatingTerm({ includedQuantities: { emails: '100', sms: '10' } })],
    });
    const input = chargeInput({
      history: [inForce('2025-01-06T00:00', plan)],
      usage: [usageAt('emails', '2025-01-07T00:00', '333'), usageAt('sms', '2025-01-07T00:00', '21')],
    });
    const [period] = invoicePreview(input, { from: utc('2025-01-06T00:00'), to: utc('2025-02-06T00:00') }).periods;
    expect(
      period?.lines.map((l) => [
        l.kind,
        l.kind === 'overage' ? l.dimensionId : '',
        l.quantity.toString(),
        l.unitPrice.toString(),
        l.amount.toString(),
      ]),
    ).toEqual([
      ['flatFee', '', '1', '100.00 USD', '100.00 USD'],
      ['overage', 'emails', '233', '0.01 USD', '2.33 USD'],
      ['overage', 'sms', '11', '0.05 USD', '0.55 USD'],
    ]);
    expect(period?.subtotal.toString()).toBe('102.88 USD');
  });
});

describe('forecastToPeriodEnd', () => {
  it('counts flat fees in full and projects overage at its run-rate over the whole period', () => {
    // prepare: 30-day window, 10 days elapsed, $5.00 overage so far
    const input = chargeInput({ usage: [usageAt('emails', '2025-01-08T00:00', '1500')] });
    const window = {
      periodStart: utc('2025-01-06T00:00'),
      periodEnd: utc('2025-02-05T00:00'),
      asOf: utc('2025-01-16T00:00'),
    };
    // act
    const forecast = forecastToPeriodEnd(input, window);
    // assess
    expect(forecast.lines.map((l) => [l.kind, l.actual.toString(), l.forecast.toString()])).toEqual([
      ['flatFee', '100.00 USD', '100.00 USD'],
      ['overage', '5.00 USD', '15.00 USD'],
    ]);
    expect(forecast.total.toString()).toBe('115.00 USD');
    expect(forecast.actual.total.toString()).toBe('105.00 USD');
  });

  it('includes a flat fee that falls due later in the period', () => {
    const input = chargeInput();
    const forecast = forecastToPeriodEnd(input, {
      periodStart: utc('2025-02-01T00:00'),
      periodEnd: utc('2025-03-01T00:00'),
      asOf: utc('2025-02-03T00:00'),
    });
    expect(forecast.lines.map((l) => [l.actual.toString(), l.forecast.toString()])).toEqual([
      ['0.00 USD', '100.00 USD'],
    ]);
  });

  it('forecasts exactly the actual charges at the period end', () => {
    const input = chargeInput({ usage: [usageAt('emails', '2025-01-08T00:00', '1500')] });
    const end = utc('2025-02-06T00:00');
    const forecast = forecastToPeriodEnd(input, { periodStart: utc('2025-01-06T00:00'), periodEnd: end, asOf: end });
    expect(forecast.total.equals(forecast.actual.total)).toBe(true);
  });

  it('rejects an as-of instant outside the period', () => {
    expect(() =>
      forecastToPeriodEnd(chargeInput(), {
        periodStart: utc('2025-01-06T00:00'),
        periodEnd: utc('2025-02-06T00:00'),
        asOf: utc('2025-03-01T00:00'),
      }),
    ).toThrow(ValidationError);
  });
});
