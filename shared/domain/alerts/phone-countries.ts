/**
 * Which country an E.164 number dials, as far as an SMS allow-list needs: the ISO 3166 alpha-2 codes of the
 * countries SMS alerts may go to (context setting `smsCountries`) are checked against the number's calling code.
 *
 * Only the calling codes of countries a publisher is likely to allow are listed; a number whose code is not listed
 * is outside every allow-list. Countries that share a calling code cannot be told apart by it: `+1` (the North
 * American Numbering Plan) is the US, Canada and some Caribbean countries, so allowing `US` or `CA` admits `+1`
 * numbers, and the origination identity (a US toll-free number or 10DLC campaign reaches the US only) does the rest.
 */
const CALLING_CODES: Readonly<Record<string, string>> = {
  US: '1',
  CA: '1',
  JP: '81',
  GB: '44',
  DE: '49',
  FR: '33',
  AU: '61',
  NZ: '64',
  SG: '65',
  KR: '82',
  TW: '886',
  HK: '852',
  IN: '91',
  IE: '353',
  NL: '31',
  ES: '34',
  IT: '39',
  SE: '46',
  CH: '41',
};

/** The countries this module knows the calling code of (what `smsCountries` may list). */
export const KNOWN_SMS_COUNTRIES: readonly string[] = Object.keys(CALLING_CODES);

/** Whether an E.164 number (`+819012345678`) dials one of `countries` (ISO alpha-2, upper case). */
export function isPhoneInCountries(phone: string, countries: readonly string[]): boolean {
  if (!/^\+[1-9]\d{6,14}$/.test(phone)) return false;
  return countries.some((country) => {
    const code = CALLING_CODES[country];
    return code !== undefined && phone.startsWith(`+${code}`);
  });
}
