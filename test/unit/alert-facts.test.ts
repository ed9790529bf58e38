import { describe, expect, it } from 'vitest';
import { factsFromStored, factsToStored } from '#shared/domain/alerts/alert.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { Money } from '#shared/domain/money.ts';
import { oneCandidatePerRule } from '#test/builders/alerts.ts';

const forecast = oneCandidatePerRule((scale) =>
  Money.of(scale === 'small' ? '12345' : '12345678', 'JPY'),
).budgetForecast;

describe('stored facts of a forecast alert', () => {
  it('keeps what the forecast is based on through the alert log', () => {
    const stored = factsToStored(forecast);

    expect(stored).toMatchObject({ basisFrom: '2025-12-01', basisTo: '2025-12-28', basisDays: '27' });
    expect(factsFromStored('budgetForecast', stored)).toEqual(forecast.facts);
  });

  it('reads back a forecast alert recorded before its basis was stated', () => {
    const { basisFrom: _from, basisTo: _to, basisDays: _days, ...older } = factsToStored(forecast);

    const facts = factsFromStored('budgetForecast', older);

    expect(facts.basisDays).toBeUndefined();
    expect(facts.forecast.toDecimalString()).toBe('12345678');
  });

  it('refuses a basis that is not text, rather than showing a wrong one', () => {
    expect(() => factsFromStored('budgetForecast', { ...factsToStored(forecast), basisDays: 27 })).toThrow(
      ValidationError,
    );
  });
});
