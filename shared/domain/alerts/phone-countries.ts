import { ValidationError } from '#shared/domain/errors.ts';

/**
 * The countries alert SMS may go to (issue 15: SMS fraud once the spend cap is raised). A number is placed in its
 * country by its E.164 calling code; this is a small explicit table of the countries the product supports rather than
 * a full numbering-plan library (none is installed, and SMS should only go where the publisher registered an
 * origination identity anyway, which is a short list).
 *
 * +1 is shared by the United States, Canada and some twenty Caribbean and Atlantic countries (the North American
 * Numbering Plan): the area code tells them apart. Canada's area codes and the other countries' are listed; every
 * other +1 area code counts as the US (its territories included). A Canadian area code opened after this list was
 * written would be taken for the US: add it here (CNAC publishes them).
 */
export const SUPPORTED_SMS_COUNTRIES = ['JP', 'US', 'CA', 'GB', 'AU', 'SG', 'KR', 'DE', 'FR'] as const;
export type SmsCountry = (typeof SUPPORTED_SMS_COUNTRIES)[number];

/** The default allow-list: Japan, the market of the seed documents (ja alerts, yen). */
export const DEFAULT_SMS_COUNTRIES: readonly SmsCountry[] = ['JP'];

const CALLING_CODES: Record<Exclude<SmsCountry, 'US' | 'CA'>, string> = {
  JP: '81',
  GB: '44',
  AU: '61',
  SG: '65',
  KR: '82',
  DE: '49',
  FR: '33',
};

const CANADA_AREA_CODES = new Set(
  (
    '204 226 236 249 250 263 289 306 343 354 365 367 368 382 403 416 418 428 431 437 438 450 468 474 506 514 519 ' +
    '548 579 581 584 587 600 604 613 639 647 672 683 705 709 742 753 778 780 782 807 819 825 867 873 879 902 905 942'
  ).split(' '),
);
/** NANP area codes of countries other than the US and Canada (Caribbean and Atlantic). */
const OTHER_NANP_AREA_CODES = new Set(
  '242 246 264 268 284 345 441 473 649 658 664 721 758 767 784 809 829 849 868 869 876'.split(' '),
);

/**
 * The supported country of an E.164 number (`+819012345678` → `JP`), or undefined for a country not in the table.
 */
export function smsCountryOf(phone: string): SmsCountry | undefined {
  const digits = phone.startsWith('+') ? phone.slice(1) : phone;
  if (digits.startsWith('1')) {
    const area = digits.slice(1, 4);
    if (area.length < 3 || OTHER_NANP_AREA_CODES.has(area)) return undefined;
    return CANADA_AREA_CODES.has(area) ? 'CA' : 'US';
  }
  for (const [country, code] of Object.entries(CALLING_CODES)) {
    if (digits.startsWith(code)) return country as SmsCountry;
  }
  return undefined;
}

/**
 * Parses the configured allow-list (`JP,US`): ISO 3166-1 alpha-2 codes from the supported ones.
 * @throws ValidationError naming an unsupported code and listing the supported ones.
 */
export function parseSmsCountries(text: string): readonly SmsCountry[] {
  const codes = text
    .split(',')
    .map((code) => code.trim().toUpperCase())
    .filter(Boolean);
  for (const code of codes) {
    if (!(SUPPORTED_SMS_COUNTRIES as readonly string[]).includes(code)) {
      throw new ValidationError(
        `"${code}" is not a supported SMS country; supported: ${SUPPORTED_SMS_COUNTRIES.join(', ')}`,
        'smsCountries',
      );
    }
  }
  return [...new Set(codes)] as SmsCountry[];
}

/**
 * Checks every phone number is in an allowed country.
 * @throws ValidationError naming the number's field and the allowed countries.
 */
export function requireSmsCountries(
  phones: readonly string[],
  allowed: readonly SmsCountry[],
  field = 'contacts.phones',
): void {
  phones.forEach((phone, index) => {
    const country = smsCountryOf(phone);
    if (country === undefined || !allowed.includes(country)) {
      const list = allowed.length > 0 ? allowed.join(', ') : 'none (SMS alerts are switched off)';
      throw new ValidationError(
        `${phone} is not in a country alert SMS may be sent to; allowed: ${list}. Use an e-mail address, or ask ` +
          'the publisher to allow the country (context setting smsCountries).',
        `${field}[${index}]`,
      );
    }
  });
}
