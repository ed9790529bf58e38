/**
 * SMS segments (3GPP TS 23.038 / 23.040) and fitting an alert text into ONE: a single message holds 160 GSM-7 septets
 * (characters of the extension table, such as € [ ] { } ~ ^ | \, take two) or 70 UCS-2 code units when any character is
 * outside GSM-7, which every Japanese text is. An SMS that does not fit is split and billed per part, and some
 * handsets show the parts out of order. The texts themselves are in templates.ts.
 */

import type { AlertLocale } from '#shared/domain/alerts/settings.ts';

/** A name shortened below this many characters no longer identifies anything: it is dropped instead. */
const SMS_LABEL_MIN = { en: 8, ja: 5 } as const;

// GSM 03.38 default alphabet, and the extension table reached through an escape (two septets each).
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

/** How an SMS text is encoded and whether it fits one segment. */
export interface SmsSegmentInfo {
  readonly encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  readonly units: number;
  /** 160 for GSM-7, 70 for UCS-2. */
  readonly limit: number;
  readonly fitsOneSegment: boolean;
}

/** The encoding an SMS text needs and its length in that encoding. */
export function smsSegmentInfo(text: string): SmsSegmentInfo {
  let septets = 0;
  for (const char of text) {
    if (GSM7_BASIC.includes(char)) septets += 1;
    else if (GSM7_EXTENSION.includes(char)) septets += 2;
    else {
      // UCS-2 counts UTF-16 code units; a character outside the BMP (an emoji) takes two.
      return { encoding: 'UCS-2', units: text.length, limit: 70, fitsOneSegment: text.length <= 70 };
    }
  }
  return { encoding: 'GSM-7', units: septets, limit: 160, fitsOneSegment: septets <= 160 };
}

/**
 * The first SMS text that fits one segment, shortening the least useful part first. `variants` are the text from the
 * fullest to the briefest (each without the least useful detail left), `labels` the names it may carry, the most
 * telling first:
 * 1. the variants from the fullest to the briefest, with the first name whole;
 * 2. the briefest, with each name (the next one is often shorter: the offer and plan) shortened step by step, down to
 *    `SMS_LABEL_MIN` characters;
 * 3. each variant without a name (the e-mail names it);
 * 4. as a last resort, the briefest cut to fit.
 * In English only names written in GSM-7 are used: one Japanese character would switch the SMS to UCS-2 and 70.
 */
export function fitSms(
  variants: readonly ((label: string) => string)[],
  labels: readonly string[],
  locale: AlertLocale,
): string {
  const fits = (text: string) => smsSegmentInfo(text).fitsOneSegment;
  const usable = labels.filter((label) => locale === 'ja' || smsSegmentInfo(label).encoding === 'GSM-7');
  const briefest = variants.at(-1) ?? (() => '');
  const first = usable[0];
  if (first !== undefined) {
    for (const variant of variants) if (fits(variant(first))) return variant(first);
  }
  for (const label of usable) {
    for (let length = [...label].length; length >= SMS_LABEL_MIN[locale]; length--) {
      const text = briefest(clip(label, length, locale));
      if (fits(text)) return text;
    }
  }
  for (const variant of variants) if (fits(variant(''))) return variant('');
  const text = briefest('');
  const info = smsSegmentInfo(text);
  // Unreachable with the alert texts and amounts below a trillion; kept so a long plan id can never split an SMS.
  return clip(text, info.encoding === 'GSM-7' ? 150 : 70, info.encoding === 'GSM-7' ? 'en' : 'ja');
}

/** Shortens to `max` characters with an ellipsis: `...` in English (GSM-7 has no `…`), `…` in Japanese. */
export function clip(text: string, max: number, locale: AlertLocale): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 0) return '';
  const ellipsis = locale === 'en' ? '...' : '…';
  return chars.slice(0, Math.max(0, max - ellipsis.length)).join('') + ellipsis;
}
