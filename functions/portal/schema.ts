import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { parseWith } from '#shared/http/request.ts';
import { cookieOf } from '#shared/http/session.ts';

/** The sign-out form holds a CSRF token and nothing else of size. */
const MAX_FORM_BYTES = 4_096;

/**
 * A field of an `application/x-www-form-urlencoded` body (HTTP APIs may hand it over base64-encoded).
 * @throws ValidationError when the body is larger than our forms can be.
 */
export function formField(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const body = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  parseWith(z.string().max(MAX_FORM_BYTES, { message: 'the form is too large' }), text, 'body');
  return new URLSearchParams(text).get(name) ?? undefined;
}

/** The cookie the portal's language switcher sets. */
export const LANGUAGE_COOKIE = 'mm_lang';

/**
 * The page language (portal contract): `?lang=ja|en` wins, then the `mm_lang` cookie, then the most preferred of
 * Japanese and English in `Accept-Language` (quality values honoured); English by default.
 */
export function portalLanguage(event: APIGatewayProxyEventV2): 'en' | 'ja' {
  for (const explicit of [event.queryStringParameters?.lang, cookieOf(event, LANGUAGE_COOKIE)]) {
    if (explicit === 'en' || explicit === 'ja') return explicit;
  }
  const ranked = (event.headers?.['accept-language'] ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
      return { primary: tag.split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.q > 0 && (entry.primary === 'ja' || entry.primary === 'en'))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.primary === 'ja' ? 'ja' : 'en';
}
