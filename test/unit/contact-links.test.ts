import { describe, expect, it } from 'vitest';
import {
  CONFIRM_LINK_LIFETIME_SECONDS,
  contactLinkKey,
  SignedContactLinks,
  UNSUBSCRIBE_LINK_LIFETIME_SECONDS,
} from '#shared/adapters/links/signed-contact-links.ts';
import { sessionKeys } from '#shared/http/session.ts';
import type { ContactAddress } from '#shared/use-cases/alerts/ports/contact-states.ts';

const SECRET = 'a-session-secret-of-at-least-32-characters-0123456789';
const T0 = new Date('2026-11-01T00:00:00.000Z');
const email: ContactAddress = { channel: 'email', address: 'billing@fabrikam.example' };
const phone: ContactAddress = { channel: 'sms', address: '+819012345678' };

function linksAt(now: Date, secret = SECRET) {
  const key = contactLinkKey(secret);
  return new SignedContactLinks(
    async () => key,
    'https://api.example.com/',
    () => now,
  );
}
const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('signed contact links', () => {
  it('point at the contact pages of the public base URL and name the contact, and the rule for one rule', async () => {
    const links = linksAt(T0);

    const confirm = await links.confirmLinkFor(email);
    const unsubscribe = await links.linkFor(phone, 'spike');

    expect(confirm).toMatch(/^https:\/\/api\.example\.com\/contacts\/confirm\?token=[\w-]+\.[\w-]{22}$/);
    expect(unsubscribe).toMatch(/^https:\/\/api\.example\.com\/contacts\/unsubscribe\?token=/);
    expect(await links.verify(tokenOf(confirm), 'confirm')).toEqual({
      ok: true,
      claims: { purpose: 'confirm', contact: email, expiresAt: later(CONFIRM_LINK_LIFETIME_SECONDS) },
    });
    expect(await links.verify(tokenOf(unsubscribe), 'unsubscribe')).toEqual({
      ok: true,
      claims: {
        purpose: 'unsubscribe',
        contact: phone,
        rule: 'spike',
        expiresAt: later(UNSUBSCRIBE_LINK_LIFETIME_SECONDS),
      },
    });
  });

  it('keeps an SMS confirmation link short enough for one message with the brand', async () => {
    const link = await linksAt(T0).confirmLinkFor(phone);

    // A phone's token is about 60 characters: a JWT would be about 150.
    expect(tokenOf(link).length).toBeLessThan(70);
  });

  it('expires: a confirmation after 7 days, an unsubscribe link after 90', async () => {
    const confirm = tokenOf(await linksAt(T0).confirmLinkFor(email));
    const unsubscribe = tokenOf(await linksAt(T0).linkFor(email));

    expect((await linksAt(later(CONFIRM_LINK_LIFETIME_SECONDS - 1)).verify(confirm, 'confirm')).ok).toBe(true);
    expect(await linksAt(later(CONFIRM_LINK_LIFETIME_SECONDS)).verify(confirm, 'confirm')).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect((await linksAt(later(30 * 24 * 3600)).verify(unsubscribe, 'unsubscribe')).ok).toBe(true);
    expect(await linksAt(later(UNSUBSCRIBE_LINK_LIFETIME_SECONDS)).verify(unsubscribe, 'unsubscribe')).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses a token used for the other purpose: a confirmation link cannot unsubscribe, nor the reverse', async () => {
    const links = linksAt(T0);

    expect(await links.verify(tokenOf(await links.confirmLinkFor(email)), 'unsubscribe')).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await links.verify(tokenOf(await links.linkFor(email)), 'confirm')).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('refuses a tampered token: another address, a later expiry, a cut tag, garbage', async () => {
    const links = linksAt(T0);
    const token = tokenOf(await links.confirmLinkFor(email));
    const [payload = '', tag = ''] = token.split('.');
    const decoded = Buffer.from(payload, 'base64url').toString('utf8');
    const forged = (text: string) => `${Buffer.from(text, 'utf8').toString('base64url')}.${tag}`;

    for (const bad of [
      forged(decoded.replace('billing@', 'ceo@')),
      forged(decoded.replace(/\|\|([0-9a-z]+)\|/, '||zzzzzzz|')),
      `${payload}.${tag.slice(0, 10)}`,
      `${payload}.${tag}x`,
      `${payload}`,
      'not a token at all',
      '',
    ]) {
      expect(await links.verify(bad, 'confirm'), bad).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('refuses a token of another deployment (another session secret) or signed before the secret was rotated', async () => {
    const token = tokenOf(await linksAt(T0).confirmLinkFor(email));

    expect(await linksAt(T0, `${SECRET}-rotated`).verify(token, 'confirm')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('keeps an address that holds the separator whole', async () => {
    const odd: ContactAddress = { channel: 'email', address: 'a|b@fabrikam.example' };
    const links = linksAt(T0);

    const verified = await links.verify(tokenOf(await links.linkFor(odd)), 'unsubscribe');

    expect(verified).toMatchObject({ ok: true, claims: { contact: odd } });
  });

  it('derives a key of its own from the session secret: not a cookie key', () => {
    const keys = sessionKeys(SECRET);
    const key = contactLinkKey(SECRET);

    expect(Buffer.from(key).equals(Buffer.from(keys.session))).toBe(false);
    expect(Buffer.from(key).equals(Buffer.from(keys.signIn))).toBe(false);
    expect(() => contactLinkKey('short')).toThrow(/at least 32 characters/);
  });
});
