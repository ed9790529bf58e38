import { describe, expect, it } from 'vitest';
import {
  parseSmsCountries,
  requireSmsCountries,
  SUPPORTED_SMS_COUNTRIES,
  smsCountryOf,
} from '#shared/domain/alerts/phone-countries.ts';
import { ValidationError } from '#shared/domain/errors.ts';

describe('SMS countries', () => {
  it.each([
    ['+819012345678', 'JP'],
    ['+12065550152', 'US'],
    ['+17875550100', 'US'], // Puerto Rico: a US territory in the NANP
    ['+14165550100', 'CA'], // Toronto
    ['+16045550100', 'CA'], // Vancouver
    ['+447700900123', 'GB'],
    ['+61412345678', 'AU'],
    ['+6581234567', 'SG'],
    ['+821012345678', 'KR'],
    ['+4915112345678', 'DE'],
    ['+33612345678', 'FR'],
  ])('places %s in %s by its calling code (and NANP area code)', (phone, country) => {
    expect(smsCountryOf(phone)).toBe(country);
  });

  it.each([
    ['+18765550100', 'Jamaica shares +1'],
    ['+18095550100', 'the Dominican Republic shares +1'],
    ['+2348012345678', 'Nigeria is not in the table'],
    ['+8613812345678', 'China is not in the table'],
  ])('places %s in no supported country (%s)', (phone) => {
    expect(smsCountryOf(phone)).toBeUndefined();
  });

  it('refuses a phone outside the allowed countries, naming the field and the allowed countries', () => {
    expect(() => requireSmsCountries(['+819012345678', '+12065550152'], ['JP'])).toThrow(
      expect.objectContaining({
        name: 'ValidationError',
        field: 'contacts.phones[1]',
        message: expect.stringMatching(/\+12065550152 .*allowed: JP\b/),
      }),
    );
    expect(() => requireSmsCountries(['+18765550100'], ['US', 'CA'])).toThrow(/allowed: US, CA/);
    expect(() => requireSmsCountries(['+819012345678'], [])).toThrow(/none \(SMS alerts are switched off\)/);
    expect(() => requireSmsCountries(['+819012345678', '+14165550100'], ['JP', 'CA'])).not.toThrow();
  });

  it('parses the configured list, refusing a code it cannot place numbers in', () => {
    expect(parseSmsCountries(' jp, US ,JP')).toEqual(['JP', 'US']);
    expect(parseSmsCountries('')).toEqual([]);
    expect(() => parseSmsCountries('JP,XX')).toThrow(ValidationError);
    expect(() => parseSmsCountries('JP,XX')).toThrow(new RegExp(`supported: ${SUPPORTED_SMS_COUNTRIES.join(', ')}`));
  });
});
