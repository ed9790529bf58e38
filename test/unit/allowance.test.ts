import { describe, expect, it } from 'vitest';
import {
  consumeHour,
  EMPTY_ALLOWANCE_STATE,
  hourContext,
  rateUsage,
  resolvePlanHistory,
} from '#shared/domain/allowance.ts';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { aDimensionPrice, aRatingPlan, aRatingTerm, inForce, usageAt } from '#test/builders/rating.ts';

const summary = (hours: ReturnType<typeof rateUsage>['hours']) =>
  hours.map((h) => [
    h.hour.toISOString().slice(0, 13),
    h.usage.toString(),
    h.consumedIncluded.toString(),
    h.overage.toString(),
  ]);

describe('allowance', () => {
  it('consumes the included quantity in time order and reports only what lies above it', () => {
    // prepare
    const plan = aRatingPlan({ billingTerms: [aRatingTerm({ includedQuantities: { emails: '100' } })] });
    const history = [inForce('2025-01-06T00:00', plan)];
    // act: events given out of order
    const { hours } = rateUsage(history, [
      usageAt('emails', '2025-01-06T02:00', '30'),
      usageAt('emails', '2025-01-06T00:00', '60'),
      usageAt('emails', '2025-01-06T01:00', '25'),
    ]);
    // assess
    expect(summary(hours)).toEqual([
      ['2025-01-06T00', '60', '60', '0'],
      ['2025-01-06T01', '25', '25', '0'],
      ['2025-01-06T02', '30', '15', '15'],
    ]);
  });

  it('adds up several events of one hour before rating it', () => {
    const plan = aRatingPlan({ billingTerms: [aRatingTerm({ includedQuantities: { emails: '10' } })] });
    const { hours } = rateUsage(
      [inForce('2025-01-06T00:00', plan)],
      [usageAt('emails', '2025-01-06T05:00', '7.5'), usageAt('emails', '2025-01-06T05:00', '4.25')],
    );
    expect(summary(hours)).toEqual([['2025-01-06T05', '11.75', '10', '1.75']]);
  });

  it('never reports overage for an unlimited dimension', () => {
    const plan = aRatingPlan({ billingTerms: [aRatingTerm({ includedQuantities: { emails: 'unlimited' } })] });
    const { hours } = rateUsage([inForce('2025-01-06T00:00', plan)], [usageAt('emails', '2025-01-06T05:00', '1e9')]);
    expect(hours[0]?.overage.isZero()).toBe(true);
    expect(hours[0]?.consumedIncluded.toString()).toBe('1000000000');
  });

  it('treats a priced dimension missing from the included quantities as including nothing', () => {
    const plan = aRatingPlan({
      meteredDimensions: [aDimensionPrice('emails', '0.01'), aDimensionPrice('sms', '0.05')],
    });
    const { hours } = rateUsage([inForce('2025-01-06T00:00', plan)], [usageAt('sms', '2025-01-06T05:00', '3')]);
    expect(hours[0]?.overage.toString()).toBe('3');
  });

  it('resets the allowance at the term anniversary (Feb 6 for a Jan 6 activation), not on the 1st of the month', () => {
    // prepare
    const plan = aRatingPlan({ billingTerms: [aRatingTerm({ includedQuantities: { emails: '100' } })] });
    const history = [inForce('2025-01-06T09:00', plan)];
    // act
    const { hours } = rateUsage(history, [
      usageAt('emails', '2025-01-31T00:00', '90'),
      usageAt('emails', '2025-02-01T00:00', '20'),
      usageAt('emails', '2025-02-05T23:00', '5'),
      usageAt('emails', '2025-02-06T00:00', '20'),
    ]);
    // assess
    expect(summary(hours)).toEqual([
      ['2025-01-31T00', '90', '90', '0'],
      ['2025-02-01T00', '20', '10', '10'],
      ['2025-02-05T23', '5', '0', '5'],
      ['2025-02-06T00', '20', '20', '0'],
    ]);
    expect(hours[3]?.termStart.toISOString()).toBe('2025-02-06T00:00:00.000Z');
  });

  it('keeps an annual allowance across months and bills everything above it until the year ends', () => {
    const plan = aRatingPlan({
      billingTerms: [aRatingTerm({ termUnit: 'P1Y', includedQuantities: { emails: '1000' } })],
    });
    const { hours } = rateUsage(
      [inForce('2025-01-06T00:00', plan)],
      [
        usageAt('emails', '2025-03-01T00:00', '900'),
        usageAt('emails', '2025-09-01T00:00', '200'),
        usageAt('emails', '2026-01-05T23:00', '50'),
        usageAt('emails', '2026-01-06T00:00', '50'),
      ],
    );
    expect(hours.map((h) => h.overage.toString())).toEqual(['0', '100', '50', '0']);
  });

  it('counts usage already made in the term against the new plan allowance after a mid-term upgrade', () => {
    // prepare: silver includes 100, gold 250; 150 used on silver (50 billed as overage) before the upgrade
    const silver = aRatingPlan({
      id: 'silver',
      billingTerms: [aRatingTerm({ includedQuantities: { emails: '100' } })],
    });
    const gold = aRatingPlan({ id: 'gold', billingTerms: [aRatingTerm({ includedQuantities: { emails: '250' } })] });
    const history = [inForce('2025-01-06T00:00', silver), inForce('2025-01-10T12:30', gold)];
    // act
    const { hours } = rateUsage(history, [
      usageAt('emails', '2025-01-07T00:00', '150'),
      usageAt('emails', '2025-01-10T12:00', '80'),
      usageAt('emails', '2025-01-11T00:00', '40'),
    ]);
    // assess: remaining = max(0, 250 − 150) = 100, from the hour of the change (12:00) on
    expect(hours.map((h) => [h.planId, h.consumedIncluded.toString(), h.overage.toString()])).toEqual([
      ['silver', '100', '50'],
      ['gold', '80', '0'],
      ['gold', '20', '20'],
    ]);
  });

  it('leaves nothing included after a downgrade below what the term already used', () => {
    const gold = aRatingPlan({ id: 'gold', billingTerms: [aRatingTerm({ includedQuantities: { emails: '1000' } })] });
    const silver = aRatingPlan({
      id: 'silver',
      billingTerms: [aRatingTerm({ includedQuantities: { emails: '100' } })],
    });
    const { hours } = rateUsage(
      [inForce('2025-01-06T00:00', gold), inForce('2025-01-20T00:00', silver)],
      [usageAt('emails', '2025-01-07T00:00', '600'), usageAt('emails', '2025-01-21T00:00', '10')],
    );
    expect(hours.map((h) => h.overage.toString())).toEqual(['0', '10']);
  });

  it('starts a new term with a fresh allowance when a change moves to another term length', () => {
    const monthly = aRatingPlan({
      id: 'monthly',
      billingTerms: [aRatingTerm({ includedQuantities: { emails: '100' } })],
    });
    const yearly = aRatingPlan({
      id: 'yearly',
      billingTerms: [aRatingTerm({ termUnit: 'P1Y', includedQuantities: { emails: '100' } })],
    });
    const { hours } = rateUsage(
      [inForce('2025-01-06T00:00', monthly), inForce('2025-03-10T08:00', yearly)],
      [usageAt('emails', '2025-03-09T00:00', '100'), usageAt('emails', '2025-03-10T09:00', '100')],
    );
    expect(hours.map((h) => [h.termStart.toISOString().slice(0, 10), h.overage.toString()])).toEqual([
      ['2025-03-06', '0'],
      ['2025-03-10', '0'],
    ]);
  });

  it('rates hour by hour incrementally exactly as the batch fold does', () => {
    // prepare
    const plan = aRatingPlan({ billingTerms: [aRatingTerm({ includedQuantities: { emails: '50' } })] });
    const resolved = resolvePlanHistory([inForce('2025-01-06T00:00', plan)]);
    const usage = [usageAt('emails', '2025-01-06T01:00', '30'), usageAt('emails', '2025-01-06T02:00', '30')];
    // act
    let state = EMPTY_ALLOWANCE_STATE;
    const overages: string[] = [];
    for (const u of usage) {
      const step = consumeHour(state, hourContext(resolved, u.dimensionId, u.hour), u);
      state = step.state;
      overages.push(step.rated.overage.toString());
    }
    // assess
    expect(overages).toEqual(rateUsage(resolved, usage).hours.map((h) => h.overage.toString()));
    expect(state.emails?.usageInTerm.toString()).toBe('60');
  });

  it('continues from a stored state without rating the same hour twice', () => {
    const plan = aRatingPlan({ billingTerms: [aRatingTerm({ includedQuantities: { emails: '50' } })] });
    const history = [inForce('2025-01-06T00:00', plan)];
    const first = rateUsage(history, [usageAt('emails', '2025-01-06T01:00', '40')]);
    const second = rateUsage(history, [usageAt('emails', '2025-01-06T02:00', '40')], first.state);
    expect(second.hours[0]?.overage.toString()).toBe('30');
    expect(() => rateUsage(history, [usageAt('emails', '2025-01-06T01:00', '1')], first.state)).toThrow(ConflictError);
  });

  it('rejects usage that is negative, not on an hour boundary, before the subscription or on a disabled dimension', () => {
    const history = [inForce('2025-01-06T00:00', aRatingPlan())];
    expect(() => rateUsage(history, [usageAt('emails', '2025-01-06T01:00', '-1')])).toThrow(ValidationError);
    expect(() => rateUsage(history, [usageAt('emails', '2025-01-06T01:30', '1')])).toThrow(ValidationError);
    expect(() => rateUsage(history, [usageAt('emails', '2025-01-05T23:00', '1')])).toThrow(ValidationError);
    expect(() => rateUsage(history, [usageAt('tickets', '2025-01-06T01:00', '1')])).toThrow(ValidationError);
  });

  it('rejects a plan history that is empty or out of order', () => {
    expect(() => resolvePlanHistory([])).toThrow(ValidationError);
    const plan = aRatingPlan();
    expect(() => resolvePlanHistory([inForce('2025-02-01T00:00', plan), inForce('2025-01-01T00:00', plan)])).toThrow(
      ValidationError,
    );
  });
});
